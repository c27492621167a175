// Package provider holds what the API-key threat-intelligence plugins
// (AbuseIPDB, VirusTotal, abuse.ch, OTX) share:
//
//   - Client sends a plugin's requests through the gateway's HTTP client
//     with the API key in a header and reads each answer completely, up to
//     a bound; URLSetting checks a base URL setting; Unexpected and
//     RetryAfter help turn an answer into a skill.ProviderError;
//   - Clip, Redact, MD and their siblings make provider text safe to show.
//
// What differs between providers stays in each plugin: paths and
// parameters, the error documents and how they map to messages, and the
// verdicts. Subpackage fakekit holds what the plugins' fake servers share,
// and providertest the test harness their test suites share.
package provider
