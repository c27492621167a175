// Package runs runs playbooks durably: each run is a workflow of the
// durable-execution engine, every side effect of a run (a skill call, a
// file, a webhook, a comment) is recorded once and replayed after a crash,
// and several workers against one PostgreSQL database share the runs.
package runs

import (
	"context"
	"encoding/json"
)

// StartRequest asks for a playbook run.
type StartRequest struct {
	// Playbook is a built-in playbook's name, or a playbook's YAML source
	// when Source is set.
	Playbook string `json:"playbook"`
	// Source is the playbook's YAML text, for playbooks that are not built
	// in; the run keeps it, so a worker recovering the run needs no file.
	Source string `json:"source,omitempty"`
	// Trigger is incident, manual or schedule; Event is created or updated
	// for incident triggers.
	Trigger string `json:"trigger"`
	Event   string `json:"event,omitempty"`
	// Incident is the incident document as received (any shape the
	// incident parser accepts), or empty.
	Incident json.RawMessage `json:"incident,omitempty"`
	// Inputs are the playbook inputs by name.
	Inputs map[string]any `json:"inputs,omitempty"`
	// Key makes the start idempotent: a second request with the same key
	// returns the first run instead of starting another. Empty means a
	// fresh run every time.
	Key string `json:"key,omitempty"`
	// Origin says who asked (cli, sentinel-poll:<workspace>,
	// sentinel-hook:<name>, schedule:<playbook>), for run history.
	Origin string `json:"origin,omitempty"`
}

// Starter starts runs. Started runs are picked up by a worker (the same
// process or another one sharing the database) and survive restarts.
type Starter interface {
	// Start returns the run's id; existed is true when Key matched an
	// earlier run and nothing new was started.
	Start(ctx context.Context, req StartRequest) (id string, existed bool, err error)
}
