package fakekit

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
)

// WriteJSON answers status with v as a JSON document.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// WriteMalformed answers 200 with body, labelled as JSON: a fake passes
// the start of one of its documents, cut short.
func WriteMalformed(w http.ResponseWriter, body string) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, body)
}

// WriteErrorPage answers status with the bare HTML page a proxy or load
// balancer shows, e.g. "<h1>503 Service Unavailable</h1>", labelled with
// contentType.
func WriteErrorPage(w http.ResponseWriter, status int, contentType string) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, "<html><body><h1>"+strconv.Itoa(status)+" "+http.StatusText(status)+"</h1></body></html>")
}
