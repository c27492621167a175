// Package promptbooks holds the promptbooks shipped with Spotter. Each
// *.yaml file in this directory is one promptbook; FS exposes them to the
// copilot's promptbook library. They are read-only through the API.
package promptbooks

import "embed"

// FS holds the built-in promptbook files at its root.
//
//go:embed *.yaml
var FS embed.FS
