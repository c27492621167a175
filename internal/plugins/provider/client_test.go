package provider

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/spotter-soc/spotter/internal/skill"
)

const testKey = "provider-test-key-31c9e0"

func TestNewClientSettings(t *testing.T) {
	if _, err := NewClient(skill.Env{Settings: map[string]string{"api_key": " "}}, Config{Name: "p"}); err == nil || err.Error() != "p: api_key is empty" {
		t.Errorf("empty key: %v", err)
	}
	s := map[string]string{"base_url": " https://api.example.com/v1/ ", "bad_url": "ftp://x"}
	if got, err := URLSetting("p", s, "base_url", "https://d.example"); err != nil || got != "https://api.example.com/v1" {
		t.Errorf("base_url: %q %v", got, err)
	}
	if got, err := URLSetting("p", s, "unset", "https://d.example"); err != nil || got != "https://d.example" {
		t.Errorf("default: %q %v", got, err)
	}
	_, err := URLSetting("p", s, "bad_url", "https://d.example")
	if err == nil || err.Error() != `p: bad_url "ftp://x": expected an http or https URL such as https://d.example` {
		t.Errorf("bad URL: %v", err)
	}
}

func TestDo(t *testing.T) {
	var got *http.Request
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		gotBody, _ = io.ReadAll(r.Body)
		w.Header().Set("Retry-After", "7")
		if r.URL.Path == "/big" {
			_, _ = w.Write(bytes.Repeat([]byte("x"), 1<<20+1))
			return
		}
		w.WriteHeader(http.StatusTooManyRequests)
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer srv.Close()
	logs := &bytes.Buffer{}
	c, err := NewClient(skill.Env{
		Settings: map[string]string{"api_key": testKey},
		Log:      slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}, Config{Name: "p", KeyHeader: "X-Key", MaxBody: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}

	r, err := c.Do(context.Background(), Request{Method: http.MethodPost, URL: srv.URL + "/q", Body: []byte("a=b"),
		ContentType: "application/x-www-form-urlencoded", Label: "POST /q", Log: slog.String("path", "/q")})
	if err != nil {
		t.Fatal(err)
	}
	if got.Header.Get("X-Key") != testKey || got.Header.Get("Accept") != "application/json" || got.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || string(gotBody) != "a=b" {
		t.Errorf("request: %v %q", got.Header, gotBody)
	}
	if s, ok := RetryAfter(r.Header); r.Status != 429 || string(r.Body) != `{"ok":true}` || !ok || s != 7 {
		t.Errorf("response: %+v", r)
	}
	if l := logs.String(); !strings.Contains(l, `msg="p call" path=/q status=429 bytes=11`) || strings.Contains(l, testKey) {
		t.Errorf("log: %s", l)
	}

	_, err = c.Do(context.Background(), Request{URL: srv.URL + "/big", Service: "Svc"})
	var pe *skill.ProviderError
	if !errors.As(err, &pe) || pe.Error() != "p: Svc: the response is larger than 1 MiB (200)" {
		t.Errorf("too large: %v", err)
	}
	_, err = c.Do(context.Background(), Request{URL: "http://127.0.0.1:1/x", Label: "GET /x"})
	if err == nil || !strings.HasPrefix(err.Error(), "p: GET /x: ") {
		t.Errorf("transport: %v", err)
	}
}

func TestUnexpected(t *testing.T) {
	e := Unexpected("p", errors.New("bad "+testKey+" "+strings.Repeat("x", 300)), testKey)
	if !strings.HasPrefix(e.Error(), "p: unexpected response: bad <secret> xxx") || strings.Contains(e.Error(), testKey) || !strings.HasSuffix(e.Msg, "…") {
		t.Errorf("%q", e)
	}
	if _, ok := RetryAfter(http.Header{"Retry-After": {"Wed, 21 Oct 2015 07:28:00 GMT"}}); ok {
		t.Error("an HTTP date was read as seconds")
	}
}
