package fakekit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestKit(t *testing.T) {
	var k Kit[string]
	k.Inject(ServerError(502), 1)
	k.Inject(Malformed(), 1)
	var kinds []FaultKind
	for _, name := range []string{"a", "b", "c"} {
		f, ok := k.Begin(httptest.NewRequest(http.MethodGet, "/", nil), name)
		switch {
		case !ok:
			t.Fatalf("%s: cancelled", name)
		case f != nil:
			kinds = append(kinds, f.Kind)
		}
	}
	if len(kinds) != 2 || kinds[0] != KindServerError || kinds[1] != KindMalformed {
		t.Errorf("faults in order, once each: %v", kinds)
	}
	if r := k.Requests(); len(r) != 3 || r[0] != "a" || r[2] != "c" {
		t.Errorf("requests: %q", r)
	}

	k.SetLatency(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, ok := k.Begin(httptest.NewRequest(http.MethodGet, "/", nil).WithContext(ctx), "d"); ok {
		t.Error("a cancelled request waited out the latency")
	}
}

func TestWrite(t *testing.T) {
	w := httptest.NewRecorder()
	WriteJSON(w, http.StatusTeapot, map[string]int{"a": 1})
	if w.Code != 418 || w.Body.String() != `{"a":1}` || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("JSON: %d %s %v", w.Code, w.Body, w.Header())
	}
	w = httptest.NewRecorder()
	WriteErrorPage(w, http.StatusBadGateway, "text/html; charset=utf-8")
	if w.Code != 502 || w.Body.String() != "<html><body><h1>502 Bad Gateway</h1></body></html>" {
		t.Errorf("page: %d %s", w.Code, w.Body)
	}
}
