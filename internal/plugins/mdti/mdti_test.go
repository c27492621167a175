package mdti

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spotter-soc/spotter/internal/azure/fakegraph"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

type harness struct {
	fake  *fakegraph.Server
	skill skill.Skill
	logs  *bytes.Buffer
	keep  []any
}

func setup(t *testing.T) *harness {
	t.Helper()
	fake := fakegraph.New(t)
	h := &harness{fake: fake, logs: &bytes.Buffer{}}
	skills, err := New().New(skill.Env{Settings: fake.Settings(), HTTP: fake.Client(),
		Log: slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	h.skill = skills[0]
	t.Cleanup(func() { skilltest.NoLeak(t, fake.Secrets(), append(h.keep, h.logs.String())...) })
	return h
}

func (h *harness) run(t *testing.T, host string) (*skill.Result, error) {
	t.Helper()
	in, err := h.skill.Spec().Validate(map[string]any{"host": host})
	if err != nil {
		t.Fatalf("inputs: %v", err)
	}
	res, err := h.skill.Run(context.Background(), in)
	h.keep = append(h.keep, res, err)
	return res, err
}

func TestHostReputation(t *testing.T) {
	tests := []struct {
		host, indicator, typ, section string
		level                         skill.Level
		score                         int
		reasons                       []string
		links                         []string
	}{
		{"evil.example", "evil.example", "domain", "indicators", skill.Malicious, 100,
			[]string{"Microsoft Defender Threat Intelligence Intel Article (high): Activity Snapshot: phishing kit hosting",
				"Name server (medium): Domain is using a name server that has been associated with suspicious behavior"},
			[]string{"https://ti.defender.microsoft.com/article/831b70a4"}},
		{"EVIL.example.", "evil.example", "domain", "indicators", skill.Malicious, 100, nil, nil},
		{"203.0.113.66", "203.0.113.66", "ip", "ips", skill.Suspicious, 55,
			[]string{"Open ports (medium): Host exposes services often used by command-and-control frameworks"},
			[]string{"https://ti.defender.microsoft.com/search?query=203.0.113.66"}},
		{"contoso.com", "contoso.com", "domain", "indicators", skill.Benign, 0, nil, nil},
		{"unknown.example", "unknown.example", "domain", "indicators", skill.Unknown, 0, nil, nil},
		{"odd.example", "odd.example", "domain", "indicators", skill.Unknown, 0,
			[]string{`unrecognised classification "unknownFutureValue"`, "New rule (critical): A rule of a kind not documented yet"}, nil},
		{"[2001:db8::bad:1]", "2001:db8::bad:1", "ip", "ips", skill.Malicious, 90, nil, nil},
		{"never-seen.example", "never-seen.example", "domain", "indicators", skill.Unknown, 0, nil, nil},
	}
	h := setup(t)
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			res, err := h.run(t, tt.host)
			if err != nil {
				t.Fatal(err)
			}
			f := res.Findings[0]
			if f.Indicator != tt.indicator || f.Type != tt.typ || f.Section != tt.section || f.Level != tt.level || f.Score != tt.score ||
				f.Skill != "mdti.HostReputation" || f.Source != "Microsoft Defender Threat Intelligence" {
				t.Errorf("finding %+v", f)
			}
			if tt.reasons != nil && !cmp.Equal(f.Reasons, tt.reasons) {
				t.Errorf("reasons %q", f.Reasons)
			}
			if tt.links != nil && (!cmp.Equal(res.Links, tt.links) || f.Link != tt.links[0]) {
				t.Errorf("links %q, finding link %q", res.Links, f.Link)
			}
			rep := res.Data.(Reputation)
			if rep.Host != tt.indicator || rep.Kind != tt.typ || rep.Rules == nil {
				t.Errorf("data %+v", rep)
			}
		})
	}
	paths := h.fake.RequestsTo("/reputation")
	if paths[0].Path != "/security/threatIntelligence/hosts/evil.example/reputation" || paths[6].Path != "/security/threatIntelligence/hosts/2001:db8::bad:1/reputation" {
		t.Errorf("paths %q %q", paths[0].Path, paths[6].Path)
	}
	if !strings.Contains(mustRun(t, h, "contoso.com").Summary, "Defender TI reputation of `contoso.com` (domain): neutral, score 0, 0 rule(s)") {
		t.Error("summary")
	}
}

func mustRun(t *testing.T, h *harness, host string) *skill.Result {
	t.Helper()
	res, err := h.run(t, host)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestHostInputRejected(t *testing.T) {
	h := setup(t)
	for _, host := range []string{"https://evil.example/x", "localhost", "a b.example"} {
		_, err := h.run(t, host)
		var ie *skill.InputError
		if !errors.As(err, &ie) || ie.Input != "host" {
			t.Errorf("%q: %v", host, err)
		}
	}
	if n := len(h.fake.Requests()); n != 0 {
		t.Errorf("%d requests for bad input", n)
	}
}

func TestReputationErrors(t *testing.T) {
	tests := []struct {
		fault fakegraph.Fault
		want  string
	}{
		{fakegraph.Fault{Status: 403, Code: "Forbidden", Message: "The tenant does not have a valid Defender Threat Intelligence license."},
			"mdti: reading the reputation of evil.example requires a Defender Threat Intelligence license with the API add-on (Forbidden) (403)"},
		{fakegraph.Denied, "mdti: permission denied reading the reputation of evil.example: grant the application permission ThreatIntelligence.Read.All (with admin consent) (Authorization_RequestDenied) (403)"},
		{fakegraph.Throttled, "mdti: Microsoft Graph throttled the request; retry after 7 s (TooManyRequests) (429)"},
		{fakegraph.Fault{Status: 200, Body: `{"classification":"malicious","score":"high"}`},
			"mdti: Microsoft Graph returned a malformed response for the reputation of evil.example: json: cannot unmarshal string into Go struct field Reputation.score of type int (200)"},
	}
	for _, tt := range tests {
		h := setup(t)
		h.fake.Fail("/reputation", tt.fault)
		_, err := h.run(t, "evil.example")
		var pe *skill.ProviderError
		if !errors.As(err, &pe) || pe.Error() != tt.want {
			t.Errorf("error\n got %v\nwant %s", err, tt.want)
		}
	}
}

func TestOptionalAndDisabledUntilConfigured(t *testing.T) {
	info := New().Info()
	if !info.Optional || info.Skills[0].Check() != nil {
		t.Errorf("info %+v", info)
	}
	if _, err := New().New(skill.Env{Settings: map[string]string{"auth": "client_secret"}}); err == nil ||
		!strings.Contains(err.Error(), "mdti: setting tenant_id is required") {
		t.Errorf("got %v", err)
	}
}
