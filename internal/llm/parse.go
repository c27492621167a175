package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"unicode/utf8"
)

// maxArguments bounds the size of one tool call's arguments.
const maxArguments = 64 << 10

// ParseArguments decodes a tool call's arguments as sent by a model: a JSON
// object, given as a string (OpenAI) or raw JSON (Anthropic). Empty means
// no arguments. A string holding a JSON object, which some local models
// send, is decoded once more. It returns the reason instead of the map when
// the arguments are not an object; it never panics.
func ParseArguments(raw string) (map[string]any, string) {
	s := strings.TrimSpace(raw)
	if s == "" || s == "null" {
		return map[string]any{}, ""
	}
	if len(s) > maxArguments {
		return nil, fmt.Sprintf("arguments: %d bytes; expected at most %d", len(s), maxArguments)
	}
	var v any
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(&v); err != nil {
		return nil, "arguments: not valid JSON: " + clean(err.Error(), 200)
	}
	if dec.More() {
		return nil, "arguments: expected one JSON object, found more after it"
	}
	if str, ok := v.(string); ok {
		inner := strings.TrimSpace(str)
		if strings.HasPrefix(inner, "{") {
			var m map[string]any
			if err := json.Unmarshal([]byte(inner), &m); err == nil && m != nil {
				return m, ""
			}
		}
		return nil, "arguments: expected a JSON object, got a string"
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Sprintf("arguments: expected a JSON object, got %s", jsonKind(v))
	}
	return m, ""
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("%T", v)
}

// ErrorBody is the error a provider put in a response body.
type ErrorBody struct {
	Type    string
	Code    string
	Message string
}

// ParseErrorBody reads a provider error body in any of the shapes Spotter
// meets: OpenAI and Azure ({"error":{"message","type","code"}}), Anthropic
// ({"type":"error","error":{"type","message"}}) and plain servers
// ({"error":"text"} or {"message":"text"}). It returns an error naming
// what was expected when the body is none of them; it never panics.
func ParseErrorBody(body []byte) (ErrorBody, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return ErrorBody{}, errors.New("error body: empty; expected a JSON object with an error")
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return ErrorBody{}, fmt.Errorf("error body: not a JSON object: %s", clean(err.Error(), 120))
	}
	var out ErrorBody
	if raw, ok := top["error"]; ok {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			out.Message = s
			return out, nil
		}
		var obj struct {
			Type    string          `json:"type"`
			Code    json.RawMessage `json:"code"`
			Message string          `json:"message"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil {
			return ErrorBody{}, fmt.Errorf("error body: error: expected a string or an object with message, type and code: %s", clean(err.Error(), 120))
		}
		out.Type, out.Message = obj.Type, obj.Message
		if len(obj.Code) > 0 && string(obj.Code) != "null" {
			var code string
			if json.Unmarshal(obj.Code, &code) != nil {
				code = string(obj.Code) // numeric codes
			}
			out.Code = code
		}
		return out, nil
	}
	if raw, ok := top["message"]; ok {
		if err := json.Unmarshal(raw, &out.Message); err != nil {
			return ErrorBody{}, errors.New("error body: message: expected a string")
		}
		return out, nil
	}
	return ErrorBody{}, errors.New("error body: expected an error or message field")
}

// statusMessage puts a provider's HTTP error in words. Authentication
// failures drop the provider's text: some echo part of the key.
func statusMessage(status int, msg string) string {
	msg = clean(msg, 300)
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "authentication failed: check the api_key (or the Microsoft Entra credential) of the provider"
	case status == http.StatusTooManyRequests:
		s := "rate limited or out of quota at the provider, after the gateway's retries"
		if msg != "" {
			s += ": " + msg
		}
		return s
	case status == http.StatusNotFound:
		s := "not found: check base_url, model or deployment"
		if msg != "" {
			s += ": " + msg
		}
		return s
	case msg != "":
		return msg
	case status != 0:
		return http.StatusText(status)
	}
	return "failed"
}

// transportMessage shortens an error with no HTTP response.
func transportMessage(err error) string { return clean(err.Error(), 400) }

// scrubSecrets replaces every secret in s.
func scrubSecrets(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "<secret>")
		}
	}
	return s
}

// clean keeps a provider's text on one line, valid UTF-8, at most n bytes.
func clean(s string, n int) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// clampTokens converts a provider's token count, treating negative or
// absurd values as zero.
func clampTokens(n int64) int {
	if n < 0 || n > math.MaxInt32 {
		return 0
	}
	return int(n)
}
