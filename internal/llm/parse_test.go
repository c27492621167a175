package llm

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
)

func TestParseArguments(t *testing.T) {
	cases := []struct {
		raw     string
		wantKey string // a key the map must hold
		wantErr string
	}{
		{`{"ip":"203.0.113.7"}`, "ip", ""},
		{` {"ips":["a","b"],"days":30} `, "ips", ""},
		{``, "", ""},
		{`null`, "", ""},
		{`"{\"ip\":\"203.0.113.7\"}"`, "ip", ""}, // double-encoded by some local models
		{`{"ip":`, "", "not valid JSON"},
		{`[1,2]`, "", "got an array"},
		{`42`, "", "got a number"},
		{`"just text"`, "", "got a string"},
		{`{"a":1}{"b":2}`, "", "found more after it"},
		{`{"a":"` + strings.Repeat("x", maxArguments) + `"}`, "", "expected at most"},
	}
	for _, c := range cases {
		m, errText := ParseArguments(c.raw)
		if c.wantErr != "" {
			if !strings.Contains(errText, c.wantErr) || m != nil {
				t.Errorf("%.40q: got %v %q, want error %q", c.raw, m, errText, c.wantErr)
			}
			continue
		}
		if errText != "" || m == nil {
			t.Errorf("%.40q: unexpected error %q", c.raw, errText)
			continue
		}
		if c.wantKey != "" {
			if _, ok := m[c.wantKey]; !ok {
				t.Errorf("%q: %v lacks %q", c.raw, m, c.wantKey)
			}
		}
	}
}

func TestParseErrorBody(t *testing.T) {
	cases := []struct {
		body    string
		want    ErrorBody
		wantErr string
	}{
		{`{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}`, ErrorBody{Type: "requests", Code: "rate_limit_exceeded", Message: "Rate limit reached"}, ""},
		{`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, ErrorBody{Type: "overloaded_error", Message: "Overloaded"}, ""},
		{`{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation have exceeded"}}`, ErrorBody{Code: "429", Message: "Requests to the ChatCompletions_Create Operation have exceeded"}, ""},
		{`{"error":{"code":404,"message":"x"}}`, ErrorBody{Code: "404", Message: "x"}, ""},
		{`{"error":"model 'llama9' not found"}`, ErrorBody{Message: "model 'llama9' not found"}, ""},
		{`{"message":"bad gateway"}`, ErrorBody{Message: "bad gateway"}, ""},
		{``, ErrorBody{}, "empty"},
		{`<html>502</html>`, ErrorBody{}, "not a JSON object"},
		{`{"error":[1]}`, ErrorBody{}, "error: expected a string or an object"},
		{`{"message":5}`, ErrorBody{}, "message: expected a string"},
		{`{"detail":"x"}`, ErrorBody{}, "expected an error or message field"},
	}
	for _, c := range cases {
		got, err := ParseErrorBody([]byte(c.body))
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%q: err %v, want %q", c.body, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: got %+v, %v; want %+v", c.body, got, err, c.want)
		}
	}
}

func TestFromOpenAIWire(t *testing.T) {
	cases := []struct {
		body    string
		calls   int
		text    string
		usage   Usage
		wantErr string
	}{
		{`{"choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`, 0, "hi", Usage{5, 2}, ""},
		{`{"choices":[{"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"a__B","arguments":"{\"x\":1}"}}]},"finish_reason":"tool_calls"}]}`, 1, "", Usage{}, ""},
		{`{"choices":[{"message":{"tool_calls":[{"id":"c1","type":"function","function":{"name":"","arguments":"{}"}}]}}]}`, 0, "", Usage{}, "function.name"},
		{`{"choices":[{"message":{"tool_calls":[{"id":"c1","type":"custom","custom":{"name":"x","input":"y"}}]}}]}`, 0, "", Usage{}, "expected function"},
		{`{"choices":[],"usage":{"prompt_tokens":-4}}`, 0, "", Usage{}, "expected at least one"},
		{`{"choices":[{"message":{"content":"x"}}],"usage":{"prompt_tokens":-4,"completion_tokens":99999999999}}`, 0, "x", Usage{}, ""},
	}
	for _, c := range cases {
		var cc openai.ChatCompletion
		if err := json.Unmarshal([]byte(c.body), &cc); err != nil {
			t.Fatalf("%s: %v", c.body, err)
		}
		got, err := fromOpenAI(&cc)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%s: err %v, want %q", c.body, err, c.wantErr)
			}
			continue
		}
		if err != nil || len(got.ToolCalls) != c.calls || got.Text != c.text || got.Usage != c.usage {
			t.Errorf("%s: got %+v, %v", c.body, got, err)
		}
	}
}

func TestFromAnthropicWire(t *testing.T) {
	body := `{"id":"m","type":"message","role":"assistant","content":[{"type":"text","text":"a"},{"type":"tool_use","id":"t1","name":"x__Y","input":{"ip":"1.2.3.4"}},{"type":"text","text":"b"}],"stop_reason":"tool_use","usage":{"input_tokens":10,"output_tokens":3}}`
	m, err := anthropicMessage([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	got, err := fromAnthropic(m)
	if err != nil {
		t.Fatal(err)
	}
	if got.Text != "a\nb" || len(got.ToolCalls) != 1 || got.ToolCalls[0].Arguments["ip"] != "1.2.3.4" || got.Usage != (Usage{10, 3}) {
		t.Errorf("%+v", got)
	}
}

func FuzzParseArguments(f *testing.F) {
	for _, s := range []string{`{"ip":"1.2.3.4"}`, `"{\"a\":1}"`, `[`, `null`, `{"a":{"b":[1,2,{"c":null}]}}`, "\x00", `{"a":1}{}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		m, reason := ParseArguments(raw)
		if (m == nil) == (reason == "") {
			t.Fatalf("%q: exactly one of map and reason expected, got %v and %q", raw, m, reason)
		}
	})
}

func FuzzParseErrorBody(f *testing.F) {
	for _, s := range []string{`{"error":{"message":"m","type":"t","code":"c"}}`, `{"type":"error","error":{"type":"t","message":"m"}}`, `{"error":"x"}`, `{"message":"x"}`, ``, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _ = ParseErrorBody(body)
	})
}

func FuzzFromOpenAI(f *testing.F) {
	f.Add(`{"choices":[{"message":{"content":"x","tool_calls":[{"id":"1","type":"function","function":{"name":"a","arguments":"{}"}}]}}],"usage":{"prompt_tokens":1}}`)
	f.Add(`{"choices":null}`)
	f.Fuzz(func(t *testing.T, body string) {
		var cc openai.ChatCompletion
		if json.Unmarshal([]byte(body), &cc) != nil {
			return
		}
		if r, err := fromOpenAI(&cc); err == nil && (r.Usage.PromptTokens < 0 || r.Usage.CompletionTokens < 0) {
			t.Fatalf("negative usage %+v", r.Usage)
		}
	})
}

func FuzzFromAnthropic(f *testing.F) {
	f.Add(`{"content":[{"type":"tool_use","id":"t","name":"n","input":{"a":1}},{"type":"text","text":"x"}],"usage":{"input_tokens":2}}`)
	f.Add(`{"content":[{"type":"tool_use","input":"oops"}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		m, err := anthropicMessage([]byte(body))
		if err != nil {
			return
		}
		_, _ = fromAnthropic(m)
	})
}
