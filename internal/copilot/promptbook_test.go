package copilot

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/store"
	"github.com/spotter-soc/spotter/promptbooks"
)

func TestBuiltinPromptbooksParse(t *testing.T) {
	list, err := NewLibrary(promptbooks.FS, "", nil).List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, pb := range list {
		got[pb.Name] = true
		if pb.Source != SourceBuiltin || !pb.ReadOnly {
			t.Errorf("%s: source %q read-only %v; expected builtin, read-only", pb.Name, pb.Source, pb.ReadOnly)
		}
	}
	for _, want := range []string{"incident-triage", "suspicious-ip", "user-compromise", "suspicious-script", "batch-ioc-reputation"} {
		if !got[want] {
			t.Errorf("built-in promptbook %s is missing (have %v)", want, got)
		}
	}
}

func TestPromptbookCheckListsEveryProblem(t *testing.T) {
	_, err := ParsePromptbook([]byte(`name: Bad Name
inputs:
  - name: IP
  - name: IP
prompts:
  - content: "check <IP> and <Other>"
  - skillName: x.Y
    content: both
`))
	re, ok := IsRequestError(err)
	if !ok {
		t.Fatalf("expected a RequestError, got %v", err)
	}
	fields := map[string]bool{}
	for _, p := range re.Problems {
		fields[p.Field] = true
	}
	for _, f := range []string{"name", "inputs[1].name", "prompts[0]", "prompts[1]"} {
		if !fields[f] {
			t.Errorf("no problem reported for %s: %v", f, re.Problems)
		}
	}
	if _, err := ParsePromptbook([]byte("name: x\nprompt: []\n")); err == nil {
		t.Error("an unknown key was accepted")
	}
}

func TestPromptbookInputsAndPlaceholders(t *testing.T) {
	pb := Promptbook{Name: "t", Inputs: []PromptbookInput{{Name: "IP", Required: true}, {Name: "User", Required: true}, {Name: "Days"}},
		Prompts: []PromptbookPrompt{
			{Content: "Is <IP> bad for <User>?"},
			{SkillName: "abuseipdb.CheckIP", SkillInputs: map[string]any{"ip": "<IP>", "days": "<Days>"}},
		}}
	if err := pb.Check(); err != nil {
		t.Fatal(err)
	}
	err := pb.CheckInputs(map[string]string{"Bogus": "1"})
	var ie *PromptbookInputError
	if !errors.As(err, &ie) || len(ie.Problems) != 3 {
		t.Fatalf("expected 3 problems (two missing, one unknown), got %v", err)
	}
	for i, want := range []string{"inputs.IP", "inputs.User", "inputs.Bogus"} {
		if ie.Problems[i].Field != want {
			t.Errorf("problem %d: field %q, expected %q", i, ie.Problems[i].Field, want)
		}
	}
	reqs := pb.Requests(map[string]string{"IP": "185.220.101.47", "User": "alice@contoso.com"})
	if reqs[0].Content != "Is 185.220.101.47 bad for alice@contoso.com?" {
		t.Errorf("content %q", reqs[0].Content)
	}
	if reqs[1].SkillInputs["ip"] != "185.220.101.47" {
		t.Errorf("skill input ip = %v", reqs[1].SkillInputs["ip"])
	}
	if _, ok := reqs[1].SkillInputs["days"]; ok {
		t.Errorf("an empty optional placeholder was kept: %v", reqs[1].SkillInputs)
	}
}

func TestLibraryDirectoryAndCRUD(t *testing.T) {
	eachDialect(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "mine.yaml"), []byte("name: mine\nprompts:\n  - content: hello\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		lib := NewLibrary(promptbooks.FS, dir, NewRepo(st))
		pb, err := lib.Get(ctx, "mine")
		if err != nil || pb.Source != SourceDirectory {
			t.Fatalf("directory promptbook: %+v %v", pb, err)
		}
		if err := lib.Delete(ctx, "mine"); !errors.Is(err, ErrReadOnly) {
			t.Errorf("deleting a directory promptbook: %v; expected ErrReadOnly", err)
		}
		if _, err := lib.Create(ctx, Promptbook{Name: "suspicious-ip", Prompts: []PromptbookPrompt{{Content: "x"}}}, "t"); !errors.Is(err, ErrExists) {
			t.Errorf("shadowing a built-in: %v; expected ErrExists", err)
		}
		made, err := lib.Create(ctx, Promptbook{Name: "api-book", Prompts: []PromptbookPrompt{{Content: "x"}}}, "alice")
		if err != nil || made.Source != SourceAPI || made.CreatedBy != "alice" {
			t.Fatalf("create: %+v %v", made, err)
		}
		upd, err := lib.Update(ctx, "api-book", Promptbook{Description: "new", Prompts: []PromptbookPrompt{{Content: "y"}}})
		if err != nil || upd.Description != "new" || upd.CreatedBy != "alice" {
			t.Fatalf("update: %+v %v", upd, err)
		}
		if err := lib.Delete(ctx, "api-book"); err != nil {
			t.Fatal(err)
		}
		if _, err := lib.Get(ctx, "api-book"); !errors.Is(err, ErrNotFound) {
			t.Errorf("after delete: %v", err)
		}
	})
}

func TestRunPromptbookThroughEngine(t *testing.T) {
	eachDialect(t, func(t *testing.T, st *store.Store) {
		inv := newFakeInvoker()
		eng := newEngine(t, st, inv, Options{})
		ctx := context.Background()
		pb := Promptbook{Name: "ip-check", Inputs: []PromptbookInput{{Name: "IP", Required: true}},
			Prompts: []PromptbookPrompt{
				{SkillName: "abuseipdb.CheckIP", SkillInputs: map[string]any{"ip": "<IP>"}},
				{Content: "Is this IP malicious?"},
			}}
		if _, err := eng.RunPromptbook(ctx, pb, nil, "", "t"); err == nil {
			t.Fatal("a run without its required input was accepted")
		}
		run, err := eng.RunPromptbook(ctx, pb, map[string]string{"IP": "185.220.101.47"}, "", "t")
		if err != nil {
			t.Fatal(err)
		}
		if len(run.Steps) != 2 || !run.Completed || run.SessionID == "" {
			t.Fatalf("run: %+v", run)
		}
		first, second := run.Steps[0].Evaluation, run.Steps[1].Evaluation
		if first.State != StateCompleted || first.Sources[0].Inputs["ip"] != "185.220.101.47" {
			t.Errorf("first step: %s %+v", first.State, first.Sources)
		}
		if second.State != StateCompleted || len(second.Sources) == 0 || !strings.Contains(second.Content, "185.220.101.47") {
			t.Errorf("second step did not use the IP of the first: %s %q", second.State, second.Content)
		}
		again, err := eng.RunPromptbook(ctx, pb, map[string]string{"IP": "8.8.8.8"}, run.SessionID, "t")
		if err != nil || again.SessionID != run.SessionID || again.Steps[0].Prompt.Seq != 3 {
			t.Fatalf("continuing the session: %+v %v", again, err)
		}
	})
}

func TestDeleteSessionCancelsRunningEvaluations(t *testing.T) {
	eachDialect(t, func(t *testing.T, st *store.Store) {
		inv := newFakeInvoker()
		inv.delay = 30 * time.Second
		eng := newEngine(t, st, inv, Options{Timeout: time.Minute})
		ctx := context.Background()
		sess, err := eng.Repo().CreateSession(ctx, "x", "t")
		if err != nil {
			t.Fatal(err)
		}
		_, ev, err := eng.Submit(ctx, sess.ID, PromptRequest{SkillName: "abuseipdb.CheckIP", SkillInputs: map[string]any{"ip": "185.220.101.47"}}, "t")
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for inv.calls.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		start := time.Now()
		if err := eng.DeleteSession(ctx, sess.ID); err != nil {
			t.Fatal(err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("deleting took %s; the running evaluation was not cancelled", took)
		}
		if _, err := eng.Repo().Evaluation(ctx, sess.ID, ev.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("evaluation after delete: %v", err)
		}
		if err := eng.DeleteSession(ctx, sess.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleting twice: %v", err)
		}
	})
}
