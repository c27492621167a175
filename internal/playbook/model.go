// Package playbook is Spotter's playbook language: the model, a YAML loader
// that keeps source positions, lint, and an in-process interpreter. The
// built-in incident enrichment is a playbook embedded in the binary
// (builtin/incident-enrichment.yaml).
//
// A playbook has a name, a description, triggers (incident created or
// updated, manual, schedule), typed inputs (string, int, bool, list, map;
// required or with a default), variables, steps and outputs:
//
//	name: block-and-tell
//	triggers:
//	  - manual: {}
//	inputs:
//	  ips: {type: list, default: []}
//	vars:
//	  bad: "[]"
//	steps:
//	  - id: check
//	    batch: filter(unique(inputs.ips), is_public_ip(it))
//	    size: 10
//	    concurrency: 2
//	    steps:
//	      - id: lookup
//	        call: abuseipdb.CheckIP
//	        with: {ip: "batch[0]"}
//	        retry: {attempts: 3, backoff: 2s}
//	        timeout: 30s
//	  - id: tell
//	    when: len(steps.check.output) > 0
//	    webhook: {url: "'https://hooks.example/soc'", body: steps.check.output}
//	outputs:
//	  checked: len(steps.check.output)
//
// Step kinds: call (a skill; "call: = expr" computes the name, with: holds
// one expression per skill input, args: an expression giving a map of
// them), for_each (over a list, element in "item" or as:, position in
// "index"), batch (chunks of size:, never an empty one), if/then/else,
// parallel (each branch a step, run concurrently), steps (a group), set and
// append (variables; append adds a value, or each item of a list), report
// (compose the investigation report), write_file, webhook, prompt (submit
// a prompt to the copilot: "prompt: EXPR", optional session:), promptbook
// (run one: "promptbook: NAME" with its inputs in with:, optional
// session:), terminate (with succeeded, failed or cancelled). Every step has an id and may set when:,
// retry:, timeout: and continue_on_error:. Its record is steps.<id> with
// output, status, error, errors (the tolerated failures of a loop's
// iterations) and attempts; a loop's output is the list of its iterations'
// last outputs.
//
// Every other scalar value is an expression (see Expr) over trigger,
// inputs, vars, steps and the loop variables, with the functions of Library
// and the incident helpers (see incidentFuncNames).
package playbook

import (
	"fmt"
	"time"
)

// Pos is a position in a playbook file, 1-based.
type Pos struct{ Line, Col int }

// Diagnostic is one problem found in a playbook.
type Diagnostic struct {
	File string
	Pos  Pos
	Msg  string
}

func (d Diagnostic) String() string {
	return fmt.Sprintf("%s:%d:%d: %s", d.File, d.Pos.Line, d.Pos.Col, d.Msg)
}

// Diagnostics is a list of problems; as an error it prints one per line.
type Diagnostics []Diagnostic

func (ds Diagnostics) Error() string {
	s := ""
	for i, d := range ds {
		if i > 0 {
			s += "\n"
		}
		s += d.String()
	}
	return s
}

// Playbook is a parsed playbook.
type Playbook struct {
	File        string
	Name        string
	Description string
	Triggers    []Trigger
	Inputs      []Input
	Vars        []Assign
	Steps       []*Step
	Outputs     []Assign
	Pos         Pos
}

// Trigger kinds.
const (
	TriggerIncident = "incident" // events: created, updated
	TriggerManual   = "manual"
	TriggerSchedule = "schedule" // every: a duration
)

// Trigger starts a playbook.
type Trigger struct {
	Kind   string
	Events []string
	Every  time.Duration
	Pos    Pos
}

// Input types.
const (
	TypeString = "string"
	TypeInt    = "int"
	TypeBool   = "bool"
	TypeList   = "list"
	TypeMap    = "map"
)

// Input is a typed playbook input.
type Input struct {
	Name        string
	Type        string
	Description string
	Required    bool
	Default     any // plain value; nil when none
	Pos         Pos
}

// Assign binds a name to an expression (variables, outputs, skill
// arguments, set and append).
type Assign struct {
	Name string
	Expr *Expr
	Pos  Pos
}

// Step kinds.
const (
	KindCall      = "call"
	KindForEach   = "for_each"
	KindBatch     = "batch"
	KindIf        = "if"
	KindParallel  = "parallel"
	KindGroup     = "steps"
	KindSet       = "set"
	KindAppend    = "append"
	KindReport    = "report"
	KindWriteFile = "write_file"
	KindWebhook   = "webhook"
	KindTerminate = "terminate"
	// KindPrompt submits a prompt to the copilot ("prompt: EXPR", with an
	// optional session: EXPR); KindPromptbook runs a promptbook by name
	// ("promptbook: NAME", its inputs in with:, optional session:).
	KindPrompt     = "prompt"
	KindPromptbook = "promptbook"
)

// Step is one step. Kind says which of the kind-specific fields apply.
type Step struct {
	ID   string
	Kind string
	Pos  Pos

	// Common to every kind.
	When            *Expr
	Retry           Retry
	Timeout         time.Duration
	ContinueOnError bool

	// call: Skill names the skill; SkillExpr computes it ("call: = expr").
	Skill     string
	SkillExpr *Expr
	With      []Assign

	// for_each and batch: Items is the list, As the element name
	// (item / batch by default), Size the batch size, Concurrency the
	// number of iterations in flight (1 by default). Steps run per element.
	Items       *Expr
	As          string
	Size        *Expr
	Concurrency int
	Steps       []*Step // also group

	// if: Cond, Then, Else.
	Cond       *Expr
	Then, Else []*Step

	// parallel: each branch runs concurrently.
	Branches []*Step

	// set and append.
	Assigns []Assign

	// report, write_file, webhook, terminate: named arguments.
	Args map[string]*Expr
	// Promptbook names the promptbook of a promptbook step.
	Promptbook string
	// Format is the report format (md, html, json); Method the webhook's;
	// Status terminate's.
	Format, Method, Status string
}

// Retry is a step's retry policy: Attempts in all (1 means no retry).
type Retry struct {
	Attempts int
	Backoff  time.Duration
}

// Terminal statuses.
const (
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
	StatusSkipped   = "skipped"
)

// Input returns the declared input with that name.
func (p *Playbook) Input(name string) (Input, bool) {
	for _, in := range p.Inputs {
		if in.Name == name {
			return in, true
		}
	}
	return Input{}, false
}
