package copilot

import (
	"context"
	"testing"
	"time"

	"github.com/spotter-soc/spotter/internal/store"
)

func TestFailOrphanedSparesLiveWorkers(t *testing.T) {
	eachDialect(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		inv := newFakeInvoker()
		inv.delay = 30 * time.Second
		live := newEngine(t, st, inv, Options{Timeout: time.Minute, Heartbeat: 20 * time.Millisecond})
		repo := live.Repo()
		sess, err := repo.CreateSession(ctx, "x", "t")
		if err != nil {
			t.Fatal(err)
		}
		// An evaluation of a process that stopped long ago: never claimed.
		_, orphan, err := repo.AddPrompt(ctx, sess.ID, PromptRequest{Content: "Is 185.220.101.47 malicious?"}, "t")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := repo.exec(ctx, `UPDATE copilot_evaluations SET state = 'running', created_at = ? WHERE id = ?`, millis(time.Now().Add(-time.Hour)), orphan.ID); err != nil {
			t.Fatal(err)
		}
		// An evaluation the live engine is running, older than the cutoff
		// but with a fresh heartbeat.
		_, running, err := live.Submit(ctx, sess.ID, PromptRequest{SkillName: "abuseipdb.CheckIP", SkillInputs: map[string]any{"ip": "185.220.101.47"}}, "t")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := repo.exec(ctx, `UPDATE copilot_evaluations SET created_at = ? WHERE id = ?`, millis(time.Now().Add(-time.Hour)), running.ID); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond) // a few heartbeats
		n, err := repo.FailOrphaned(ctx, time.Second)
		if err != nil || n != 1 {
			t.Fatalf("FailOrphaned: %d, %v; expected 1", n, err)
		}
		if ev, _ := repo.Evaluation(ctx, sess.ID, orphan.ID); ev.State != StateFailed {
			t.Errorf("orphan: %s, expected failed", ev.State)
		}
		if ev, _ := repo.Evaluation(ctx, sess.ID, running.ID); ev.State.Done() {
			t.Errorf("the live engine's evaluation was ended: %s", ev.State)
		}
		if _, err := live.Cancel(ctx, sess.ID, running.ID); err != nil {
			t.Fatal(err)
		}
	})
}
