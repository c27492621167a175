// Package plugins assembles the registry of every built-in plugin.
package plugins

import (
	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/plugins/abusech"
	"github.com/spotter-soc/spotter/internal/plugins/abuseipdb"
	"github.com/spotter-soc/spotter/internal/plugins/entra"
	intelplugin "github.com/spotter-soc/spotter/internal/plugins/intel"
	"github.com/spotter-soc/spotter/internal/plugins/intune"
	"github.com/spotter-soc/spotter/internal/plugins/mdti"
	"github.com/spotter-soc/spotter/internal/plugins/otx"
	"github.com/spotter-soc/spotter/internal/plugins/reputation"
	"github.com/spotter-soc/spotter/internal/plugins/scriptanalyzer"
	sentinelplugin "github.com/spotter-soc/spotter/internal/plugins/sentinel"
	"github.com/spotter-soc/spotter/internal/plugins/virustotal"
	"github.com/spotter-soc/spotter/internal/sentinel"
	"github.com/spotter-soc/spotter/internal/skill"
)

// Options are what built-in plugins need from the process that runs them.
type Options struct {
	// IntelStore opens the local threat-intelligence store; nil makes
	// intel.Lookup fail with an explanation.
	IntelStore intelplugin.Opener
	// Sentinel is the sentinel section of the configuration (workspaces
	// and their credentials); empty leaves the sentinel plugin not configured.
	Sentinel config.Sentinel
	// SentinelWrites records the incident revisions Spotter writes (nil: not recorded).
	SentinelWrites sentinel.WritesOpener
}

// Registry returns a new registry holding every built-in plugin.
func Registry(o Options) *skill.Registry {
	r := skill.NewRegistry()
	for _, p := range []skill.Plugin{
		abuseipdb.New(), virustotal.New(), abusech.New(), otx.New(),
		entra.New(), intune.New(), mdti.New(),
		reputation.New(), scriptanalyzer.New(), intelplugin.New(o.IntelStore),
		sentinelplugin.New(o.Sentinel, o.SentinelWrites),
	} {
		r.MustRegister(p)
	}
	return r
}
