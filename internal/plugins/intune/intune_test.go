package intune

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spotter-soc/spotter/internal/azure/fakegraph"
	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

type harness struct {
	fake  *fakegraph.Server
	skill skill.Skill
	logs  *bytes.Buffer
	keep  []any
}

func setup(t *testing.T, opts ...fakegraph.Option) *harness {
	t.Helper()
	fake := fakegraph.New(t, append([]fakegraph.Option{fakegraph.WithData(fakegraph.Default(now))}, opts...)...)
	h := &harness{fake: fake, logs: &bytes.Buffer{}}
	p := &plugin{now: func() time.Time { return now }}
	skills, err := p.New(skill.Env{Settings: fake.Settings(), HTTP: fake.Client(),
		Log: slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	h.skill = skills[0]
	t.Cleanup(func() { skilltest.NoLeak(t, fake.Secrets(), append(h.keep, h.logs.String())...) })
	return h
}

func (h *harness) run(t *testing.T, raw map[string]any) (*skill.Result, error) {
	t.Helper()
	in, err := h.skill.Spec().Validate(raw)
	if err != nil {
		t.Fatalf("inputs: %v", err)
	}
	res, err := h.skill.Run(context.Background(), in)
	h.keep = append(h.keep, res, err)
	return res, err
}

func TestDeviceVerdicts(t *testing.T) {
	tests := []struct {
		device string
		level  skill.Level
		score  int
		reason string
	}{
		{"DESKTOP-ADELE01", skill.Benign, 0, ""},
		{"desktop-adele01.contoso.com", skill.Benign, 0, ""}, // FQDN retried by its short name
		{"LAPTOP-BOB", skill.Suspicious, 50, "last check-in 12 days ago (stale after 7)"},
		{"iPhone-Megan", skill.Suspicious, 70, "device is jailbroken or rooted"},
		{"DESKTOP-INFECTED", skill.Malicious, 90, "mobile threat defense partner reports the device compromised"},
		{"WS-HIGH", skill.Malicious, 80, "mobile threat defense partner reports a high-severity threat"},
		{"WS-ODD", skill.Unknown, 0, `unrecognised compliance state "quantumState"`},
		{"WS-STALE", skill.Unknown, 0, "last check-in 30 days ago (stale after 7)"},
		{"NO-SUCH-PC", skill.Unknown, 0, "no Intune managed device with this name"},
	}
	h := setup(t)
	for _, tt := range tests {
		t.Run(tt.device, func(t *testing.T) {
			res, err := h.run(t, map[string]any{"device": tt.device})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Findings) != 1 {
				t.Fatalf("%d findings", len(res.Findings))
			}
			f := res.Findings[0]
			if f.Indicator != strings.ToLower(tt.device) || f.Type != "host" || f.Section != "devices" || f.Level != tt.level || f.Score != tt.score {
				t.Errorf("finding %+v", f)
			}
			if tt.reason != "" && !strings.Contains(strings.Join(f.Reasons, "\n"), tt.reason) {
				t.Errorf("reasons %q lack %q", f.Reasons, tt.reason)
			}
		})
	}
	if got := h.fake.RequestsTo("/managedDevices"); len(got) != len(tests)+1 {
		t.Errorf("%d requests; want one per device and one short-name retry", len(got))
	} else if f := got[2].Query.Get("$filter"); f != "deviceName eq 'desktop-adele01'" {
		t.Errorf("retry filter %q", f)
	}
}

func TestDeviceDetails(t *testing.T) {
	h := setup(t)
	res, err := h.run(t, map[string]any{"device": "LAPTOP-BOB"})
	if err != nil {
		t.Fatal(err)
	}
	r := res.Data.(DeviceReport)
	d := r.Devices[0]
	if d.ComplianceState != "noncompliant" || d.JailBroken != "False" || d.OperatingSystem != "Windows" || d.OSVersion != "10.0.19045.4651" ||
		d.IsEncrypted == nil || *d.IsEncrypted || d.ManagedDeviceOwnerType != "company" || d.ManagementAgent != "intuneClient" ||
		d.PartnerReportedThreatState != "unknown" || d.DaysSinceSync != 12 || !d.Stale || d.UserPrincipalName != "bob@contoso.com" {
		t.Errorf("device %+v", d)
	}
	if !cmp.Equal(res.Findings[0].Reasons, []string{"device is not compliant with Intune policy", "last check-in 12 days ago (stale after 7)", "storage is not encrypted"}) {
		t.Errorf("reasons %q", res.Findings[0].Reasons)
	}
	q := h.fake.RequestsTo("/managedDevices")[0].Query
	if q.Get("$filter") != "deviceName eq 'LAPTOP-BOB'" || !strings.Contains(q.Get("$select"), "partnerReportedThreatState") || q.Get("$top") != "50" {
		t.Errorf("query %v", q)
	}
	if !strings.Contains(res.Summary, "**LAPTOP-BOB** (Windows 10.0.19045.4651, bob@contoso.com): noncompliant, last check-in 12 days ago — suspicious") {
		t.Errorf("summary %s", res.Summary)
	}
}

func TestDevicesOfUser(t *testing.T) {
	h := setup(t)
	res, err := h.run(t, map[string]any{"user": "AdeleV@contoso.com"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Indicator+" "+string(f.Level))
	}
	// Two devices on one page of two: no nextLink; the grace period one is unknown.
	if !cmp.Equal(got, []string{"desktop-adele01 benign", "adele's iphone unknown"}) {
		t.Errorf("findings %q", got)
	}
	if f := h.fake.RequestsTo("/managedDevices")[0].Query.Get("$filter"); f != "userPrincipalName eq 'AdeleV@contoso.com'" {
		t.Errorf("filter %q", f)
	}

	// A user with no devices: no findings, a plain summary.
	res, err = h.run(t, map[string]any{"user": "o'brien@contoso.com"})
	if err != nil || len(res.Findings) != 0 || res.Summary != "No Intune managed device for userPrincipalName o'brien@contoso.com." {
		t.Errorf("%v %+v", err, res)
	}
	if f := h.fake.RequestsTo("/managedDevices")[1].Query.Get("$filter"); f != "userPrincipalName eq 'o''brien@contoso.com'" {
		t.Errorf("quoted filter %q", f)
	}
}

func TestDevicesPaged(t *testing.T) {
	h := setup(t, fakegraph.WithPageSize(1))
	res, err := h.run(t, map[string]any{"user": "adelev@contoso.com"})
	if err != nil || len(res.Data.(DeviceReport).Devices) != 2 {
		t.Fatalf("%v %+v", err, res)
	}
	reqs := h.fake.RequestsTo("/managedDevices")
	if len(reqs) != 2 || !reqs[1].Query.Has("$skiptoken") || reqs[1].Query.Get("$filter") != reqs[0].Query.Get("$filter") {
		t.Errorf("requests %+v", reqs)
	}
}

func TestDeviceOrUserRequired(t *testing.T) {
	h := setup(t)
	_, err := h.run(t, map[string]any{})
	var ie *skill.InputError
	if !errors.As(err, &ie) || ie.Input != "device" {
		t.Errorf("got %v", err)
	}
}

func TestDeviceErrors(t *testing.T) {
	tests := []struct {
		fault fakegraph.Fault
		want  string
	}{
		{fakegraph.Throttled, "intune: Microsoft Graph throttled the request; retry after 7 s (TooManyRequests) (429)"},
		{fakegraph.Denied, "intune: permission denied reading Intune managed devices: grant the application permission DeviceManagementManagedDevices.Read.All (with admin consent) (Authorization_RequestDenied) (403)"},
		{fakegraph.Malformed, "intune: Microsoft Graph returned a malformed response for Intune managed devices: unexpected end of JSON input (200)"},
	}
	for _, tt := range tests {
		h := setup(t)
		h.fake.Fail("/managedDevices", tt.fault)
		_, err := h.run(t, map[string]any{"device": "WS-HIGH"})
		var pe *skill.ProviderError
		if !errors.As(err, &pe) || pe.Error() != tt.want {
			t.Errorf("error\n got %v\nwant %s", err, tt.want)
		}
	}
}

func TestAssessDevice(t *testing.T) {
	yes := true
	recent := now.Add(-time.Hour)
	tests := []struct {
		name string
		d    ManagedDevice
		want skill.Level
	}{
		{"compliant recent", ManagedDevice{ComplianceState: "compliant", LastSyncDateTime: recent, IsEncrypted: &yes}, skill.Benign},
		{"compliant never synced", ManagedDevice{ComplianceState: "compliant"}, skill.Unknown},
		{"jailbroken lower case", ManagedDevice{ComplianceState: "compliant", JailBroken: "true", LastSyncDateTime: recent}, skill.Suspicious},
		{"jailbroken unknown", ManagedDevice{ComplianceState: "compliant", JailBroken: "Unknown", LastSyncDateTime: recent}, skill.Benign},
		{"medium severity", ManagedDevice{ComplianceState: "compliant", PartnerReportedThreatState: "mediumSeverity", LastSyncDateTime: recent}, skill.Suspicious},
		{"conflict", ManagedDevice{ComplianceState: "conflict", LastSyncDateTime: recent}, skill.Unknown},
		{"new threat state", ManagedDevice{ComplianceState: "compliant", PartnerReportedThreatState: "quarantined", LastSyncDateTime: recent}, skill.Benign},
	}
	for _, tt := range tests {
		if f := assessDevice("pc", tt.d); f.Level != tt.want {
			t.Errorf("%s: %s, want %s (%q)", tt.name, f.Level, tt.want, f.Reasons)
		}
	}
}
