package config

import (
	"fmt"
	"time"
)

// Runs configures durable playbook runs (spotter serve, spotter worker,
// spotter playbook run --durable).
type Runs struct {
	// Concurrency is how many runs one process executes at once.
	Concurrency int `koanf:"concurrency"`
	// Retention is how long finished runs stay in history; 0 keeps them.
	Retention time.Duration `koanf:"retention"`
	// WorkerTimeout is how long a silent worker is presumed alive before
	// another one recovers its runs.
	WorkerTimeout time.Duration `koanf:"worker_timeout"`
	// PollInterval is how often workers look for queued runs.
	PollInterval time.Duration `koanf:"poll_interval"`
	// PlaybooksDir holds playbooks (*.yaml) besides the built-in ones;
	// their schedule triggers fire in spotter serve and spotter worker.
	PlaybooksDir string `koanf:"playbooks_dir"`
}

// DefaultRuns are the run settings used when nothing is set.
func DefaultRuns() Runs {
	return Runs{Concurrency: 4, Retention: 30 * 24 * time.Hour, WorkerTimeout: 30 * time.Second, PollInterval: 500 * time.Millisecond}
}

// Validate checks the run settings.
func (r Runs) Validate() error {
	switch {
	case r.Concurrency < 1:
		return &Error{Key: "runs.concurrency", Msg: fmt.Sprintf("%d: expected at least 1", r.Concurrency)}
	case r.Retention < 0:
		return &Error{Key: "runs.retention", Msg: fmt.Sprintf("%s: expected 0 (keep every run) or a positive duration such as 720h", r.Retention)}
	case r.WorkerTimeout < time.Second:
		return &Error{Key: "runs.worker_timeout", Msg: fmt.Sprintf("%s: expected at least 1s", r.WorkerTimeout)}
	case r.PollInterval < 10*time.Millisecond:
		return &Error{Key: "runs.poll_interval", Msg: fmt.Sprintf("%s: expected at least 10ms", r.PollInterval)}
	}
	return nil
}
