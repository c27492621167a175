// Package fakellm is a scripted model server for tests: it speaks the
// OpenAI chat completions format (also at Azure OpenAI's deployment path)
// and the Anthropic Messages format on the wire, answers each call with the
// next step of a script (text, tool calls, usage, an error body, a 429 with
// Retry-After), and records every request for assertions.
package fakellm

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
)

// Call is a tool call a step makes.
type Call struct {
	Name string
	Args map[string]any
	// RawArgs, when set, is sent as the arguments verbatim (OpenAI: the
	// string; Anthropic: the raw JSON of input), to test malformed input.
	RawArgs string
}

// Step is one scripted answer.
type Step struct {
	Text  string
	Calls []Call
	// PromptTokens and CompletionTokens are reported as usage; when both
	// are zero they are estimated from the sizes of request and answer
	// (four bytes a token), so figures are deterministic.
	PromptTokens, CompletionTokens int
	// Status, when not 0 or 200, answers with that HTTP status and an
	// error body in the dialect's shape carrying ErrorMessage.
	Status       int
	ErrorType    string
	ErrorMessage string
	// RetryAfter is sent as the Retry-After header (with Status 429 or 503).
	RetryAfter string
	// Body, when set, is sent verbatim with Status (or 200).
	Body string
}

// Request is one recorded call.
type Request struct {
	Dialect string // "openai" or "anthropic"
	Path    string
	Query   string
	Header  http.Header
	Body    map[string]any
	Raw     string
}

// Text returns every text of the request (system, messages, tool results),
// for asserting what a model was shown.
func (r Request) Text() string { return r.Raw }

// ToolNames lists the tools offered in the request.
func (r Request) ToolNames() []string {
	var out []string
	tools, _ := r.Body["tools"].([]any)
	for _, t := range tools {
		m, _ := t.(map[string]any)
		if fn, ok := m["function"].(map[string]any); ok {
			out = append(out, fmt.Sprint(fn["name"]))
		} else if n, ok := m["name"]; ok {
			out = append(out, fmt.Sprint(n))
		}
	}
	return out
}

// Server is the fake. Set Script or Respond before the first call.
type Server struct {
	*httptest.Server
	// Key is the API key every request must carry (Authorization Bearer
	// or api-key for OpenAI and Azure, x-api-key for Anthropic); empty
	// accepts any.
	Key string
	// Script is answered in order; past its end the server answers 500.
	Script []Step
	// Respond, when set, replaces Script: it gets the call's index and
	// request and returns the step.
	Respond func(n int, r Request) Step

	mu   sync.Mutex
	reqs []Request
}

// New starts a fake server; Close it when done.
func New(key string, script ...Step) *Server {
	s := &Server{Key: key, Script: script}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.openai)
	mux.HandleFunc("POST /openai/deployments/{deployment}/chat/completions", s.azure)
	mux.HandleFunc("POST /v1/messages", s.anthropic)
	s.Server = httptest.NewServer(mux)
	return s
}

// Requests returns the recorded requests in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// record stores the request and picks its step.
func (s *Server) record(dialect string, r *http.Request) (Request, Step, bool) {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	req := Request{Dialect: dialect, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone(), Raw: string(raw)}
	_ = json.Unmarshal(raw, &req.Body)
	s.mu.Lock()
	n := len(s.reqs)
	s.reqs = append(s.reqs, req)
	respond, script := s.Respond, s.Script
	s.mu.Unlock()
	switch {
	case respond != nil:
		return req, respond(n, req), true
	case n < len(script):
		return req, script[n], true
	}
	return req, Step{}, false
}

func (s *Server) authorized(got string) bool { return s.Key == "" || got == s.Key }

func (s *Server) openai(w http.ResponseWriter, r *http.Request) {
	s.serveOpenAI(w, r, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
}

func (s *Server) azure(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("api-version") == "" {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{"code": "404", "message": "Resource not found"}})
		return
	}
	key := r.Header.Get("api-key")
	if key == "" {
		key = strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	s.serveOpenAI(w, r, key)
}

func (s *Server) serveOpenAI(w http.ResponseWriter, r *http.Request, key string) {
	req, st, ok := s.record("openai", r)
	if !s.authorized(key) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{
			"message": "Incorrect API key provided: " + key + ". You can find your API key in your account settings.",
			"type":    "invalid_request_error", "param": nil, "code": "invalid_api_key"}})
		return
	}
	if !ok {
		st = Step{Status: http.StatusInternalServerError, ErrorMessage: "fakellm: the script has no more steps"}
	}
	if done := writeError(w, st, func() any {
		return map[string]any{"error": map[string]any{"message": st.ErrorMessage, "type": or(st.ErrorType, "server_error"), "param": nil, "code": nil}}
	}); done {
		return
	}
	msg := map[string]any{"role": "assistant", "content": nil}
	if st.Text != "" {
		msg["content"] = st.Text
	}
	finish := "stop"
	var calls []any
	for i, c := range st.Calls {
		args := c.RawArgs
		if args == "" {
			b, _ := json.Marshal(c.Args)
			args = string(b)
		}
		calls = append(calls, map[string]any{"id": fmt.Sprintf("call_%d_%d", len(s.Requests()), i), "type": "function",
			"function": map[string]any{"name": c.Name, "arguments": args}})
	}
	if len(calls) > 0 {
		msg["tool_calls"] = calls
		finish = "tool_calls"
	}
	pt, ct := usage(st, req)
	model, _ := req.Body["model"].(string)
	writeJSON(w, http.StatusOK, map[string]any{
		"id": fmt.Sprintf("chatcmpl-%d", len(s.Requests())), "object": "chat.completion", "created": 1767225600, "model": model,
		"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish, "logprobs": nil}},
		"usage":   map[string]any{"prompt_tokens": pt, "completion_tokens": ct, "total_tokens": pt + ct},
	})
}

func (s *Server) anthropic(w http.ResponseWriter, r *http.Request) {
	req, st, ok := s.record("anthropic", r)
	if !s.authorized(r.Header.Get("x-api-key")) {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"type": "error", "error": map[string]any{"type": "authentication_error", "message": "invalid x-api-key"}})
		return
	}
	if r.Header.Get("anthropic-version") == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"type": "error", "error": map[string]any{"type": "invalid_request_error", "message": "anthropic-version: header is required"}})
		return
	}
	if !ok {
		st = Step{Status: http.StatusInternalServerError, ErrorMessage: "fakellm: the script has no more steps"}
	}
	if done := writeError(w, st, func() any {
		return map[string]any{"type": "error", "error": map[string]any{"type": or(st.ErrorType, "api_error"), "message": st.ErrorMessage}}
	}); done {
		return
	}
	var content []any
	if st.Text != "" {
		content = append(content, map[string]any{"type": "text", "text": st.Text})
	}
	stop := "end_turn"
	for i, c := range st.Calls {
		var input any = c.Args
		if c.RawArgs != "" {
			input = json.RawMessage(c.RawArgs)
		}
		if input == nil || (c.RawArgs == "" && c.Args == nil) {
			input = map[string]any{}
		}
		content = append(content, map[string]any{"type": "tool_use", "id": fmt.Sprintf("toolu_%d_%d", len(s.Requests()), i), "name": c.Name, "input": input})
		stop = "tool_use"
	}
	if content == nil {
		content = []any{}
	}
	pt, ct := usage(st, req)
	model, _ := req.Body["model"].(string)
	writeJSON(w, http.StatusOK, map[string]any{
		"id": fmt.Sprintf("msg_%d", len(s.Requests())), "type": "message", "role": "assistant", "model": model,
		"content": content, "stop_reason": stop, "stop_sequence": nil,
		"usage": map[string]any{"input_tokens": pt, "output_tokens": ct, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
	})
}

// writeError answers an error step; it reports whether it did.
func writeError(w http.ResponseWriter, st Step, body func() any) bool {
	if st.RetryAfter != "" {
		w.Header().Set("Retry-After", st.RetryAfter)
	}
	if st.Body != "" {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(or(st.Status, http.StatusOK))
		_, _ = io.WriteString(w, st.Body)
		return true
	}
	if st.Status == 0 || st.Status == http.StatusOK {
		return false
	}
	writeJSON(w, st.Status, body())
	return true
}

// usage is the step's token counts, or an estimate from the sizes.
func usage(st Step, req Request) (int, int) {
	if st.PromptTokens != 0 || st.CompletionTokens != 0 {
		return st.PromptTokens, st.CompletionTokens
	}
	out := len(st.Text)
	for _, c := range st.Calls {
		b, _ := json.Marshal(c.Args)
		out += len(c.Name) + len(b) + len(c.RawArgs)
	}
	return (len(req.Raw) + 3) / 4, max(1, (out+3)/4)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
