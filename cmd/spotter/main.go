// Command spotter is a self-hosted security copilot and incident-enrichment engine.
package main

import (
	"os"

	"github.com/spotter-soc/spotter/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Environ()))
}
