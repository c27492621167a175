// Package ioc finds and normalises indicators of compromise in free text.
//
// It undoes the usual "defanging" of indicators in threat reports (Refang),
// extracts IP addresses, domains, URLs, e-mail addresses, file hashes and CVE
// identifiers from arbitrary text (Extract), classifies a single indicator
// string (Classify) and tells public from special-purpose IP addresses using
// the IANA special-purpose address registries (ClassifyIP).
//
// Everything in this package is safe for concurrent use and never panics on
// malformed input. Extraction is designed for multi-megabyte inputs: every
// indicator type is found by a linear byte scan that only looks closely at
// plausible spots (digits, dots, colons, '@', "://"), and the URL regular
// expression only ever runs on a short window around "://".
package ioc
