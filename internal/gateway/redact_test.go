package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestRedactURL(t *testing.T) {
	u, _ := url.Parse("https://user:pass@api.abuseipdb.com/api/v2/check?ipAddress=1.2.3.4&key=abc#frag")
	if got := redactURL(u); got != "https://api.abuseipdb.com/api/v2/check" {
		t.Errorf("got %q", got)
	}
	if redactURL(nil) != "" {
		t.Error("nil URL")
	}
}

func TestScrub(t *testing.T) {
	tests := []struct{ in, want string }{
		{`Get "https://x.test/a?key=k1-secret-value&ip=1": EOF`, `Get "https://x.test/a": EOF`},
		{"token k1-secret-value in text", "token <secret> in text"},
		{"see https://x.test/p#k1-secret-value and http://y.test/?a=1 ok", "see https://x.test/p and http://y.test/ ok"},
		{"no secrets here", "no secrets here"},
	}
	for _, tt := range tests {
		if got := scrub(tt.in, []string{"k1-secret-value"}); got != tt.want {
			t.Errorf("scrub(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestScrubErrorKeepsIdentity(t *testing.T) {
	base := &Error{Provider: "p", Reason: ReasonTimeout, msg: "timed out"}
	err := fmt.Errorf("get https://x.test/?key=sekrit-1234: %w", base)
	got := scrubError(err, []string{"sekrit-1234"})
	if strings.Contains(got.Error(), "sekrit") || !errors.Is(got, base) {
		t.Errorf("got %q; errors.Is(base) = %v", got, errors.Is(got, base))
	}
	clean := errors.New("fine")
	if scrubError(clean, []string{"sekrit-1234"}) != clean {
		t.Error("a clean error was wrapped")
	}
}

type stringer struct{ s string }

func (s stringer) String() string { return s.s }

func TestRedactHandler(t *testing.T) {
	const secret = "sk-handler-9876"
	var buf bytes.Buffer
	h := &redactHandler{next: slog.NewJSONHandler(&buf, nil), secrets: &sealed{secrets: []string{secret}}}
	log := slog.New(h).With("preset", "x "+secret).WithGroup("g")
	log.Info("calling https://x.test/a?key="+secret,
		"url", "https://x.test/a?key="+secret,
		"err", errors.New("bad "+secret),
		"str", stringer{secret},
		"raw", []byte(secret),
		"nested", slog.GroupValue(slog.String("deep", secret)),
		"struct", struct{ Key string }{secret},
		"n", 3,
	)
	out := buf.String()
	if strings.Contains(out, secret) {
		t.Errorf("secret in log: %s", out)
	}
	for _, want := range []string{`"preset":"x <secret>"`, `"url":"https://x.test/a"`, `"n":3`, `"deep":"<secret>"`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %s: %s", want, out)
		}
	}
}

func TestResolutionDoesNotPrintSecrets(t *testing.T) {
	set := &sealed{values: map[string]string{"api_key": "sk-res-5555"}, secrets: []string{"sk-res-5555"}}
	r := resolution{set: set}
	tr := &transport{secrets: set}
	h := &redactHandler{secrets: set}
	for _, s := range []string{fmt.Sprint(r), fmt.Sprintf("%+v", r), fmt.Sprintf("%#v", r), fmt.Sprintf("%+v", &pluginState{res: r}),
		fmt.Sprintf("%+v", set), fmt.Sprintf("%#v", set), fmt.Sprintf("%+v", tr), fmt.Sprintf("%+v", h)} {
		if strings.Contains(s, "sk-res-5555") {
			t.Errorf("secret printed: %s", s)
		}
	}
}

func TestMemoryCache(t *testing.T) {
	c := NewMemoryCache()
	ctx := t.Context()
	now := time.Now()
	val := []byte("v1")
	if err := c.Put(ctx, CacheEntry{Key: "k", Value: val, StoredAt: now, ExpiresAt: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	val[0] = 'X'
	e, ok, err := c.Get(ctx, "k", now)
	if err != nil || !ok || string(e.Value) != "v1" {
		t.Fatalf("got %q %v %v", e.Value, ok, err)
	}
	e.Value[0] = 'Y'
	if e, _, _ := c.Get(ctx, "k", now); string(e.Value) != "v1" {
		t.Error("Get returned shared bytes")
	}
	if _, ok, _ := c.Get(ctx, "k", now.Add(time.Minute)); ok {
		t.Error("expired entry returned")
	}
	if _, ok, _ := c.Get(ctx, "missing", now); ok {
		t.Error("missing entry returned")
	}
}

func TestPercentile(t *testing.T) {
	c := newCounters("p")
	for i := 1; i <= 100; i++ {
		c.attempt(time.Duration(i) * time.Millisecond)
	}
	m := c.snapshot()
	if m.LatencyMS.P50 != 50 || m.LatencyMS.P95 != 95 || m.LatencyMS.Max != 100 || m.LatencyMS.Count != 100 || m.LatencyMS.Sum != 5050 {
		t.Errorf("latency %+v", m.LatencyMS)
	}
	for i := 0; i < latencyWindow; i++ {
		c.attempt(time.Second)
	}
	if m := c.snapshot(); m.LatencyMS.P50 != 1000 || m.LatencyMS.Count != int64(100+latencyWindow) {
		t.Errorf("after the window rolled over: %+v", m.LatencyMS)
	}
}
