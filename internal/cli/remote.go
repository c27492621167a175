package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/spotter-soc/spotter/internal/copilot"
)

// remoteFlags select a Spotter server to talk to instead of the local
// data directory.
type remoteFlags struct {
	server string
	token  string
}

func (f *remoteFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.server, "server", "", "use the Spotter API at this URL (e.g. https://spotter.example.com) instead of the local data directory (default remote.url)")
	fs.StringVar(&f.token, "token", "", "API token for --server ('spotter token create'; default remote.token)")
}

// client returns the API client, nil when no server is given by the flags
// or by remote.url and remote.token in the configuration.
func (f *remoteFlags) client(e *env) (*apiClient, error) {
	if f.server == "" && f.token == "" {
		cfg, err := e.loadConfig()
		if err != nil {
			return nil, err
		}
		f.server, f.token = cfg.Remote.URL, cfg.Remote.Token
	}
	if f.server == "" {
		if f.token != "" {
			return nil, usagef("--token: only with --server URL")
		}
		return nil, nil
	}
	u, err := url.Parse(f.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("--server %q: expected an http:// or https:// URL", f.server)
	}
	if f.token == "" {
		return nil, usagef("--server: expected --token with an API token ('spotter token create')")
	}
	return &apiClient{base: strings.TrimRight(f.server, "/"), token: f.token, hc: &http.Client{Timeout: 15 * time.Minute}}, nil
}

// apiClient calls a Spotter server's API.
type apiClient struct {
	base  string
	token string
	hc    *http.Client
}

// apiError is a problem answered by the server.
type apiError struct {
	Status int
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Errors []struct {
		Location string `json:"location"`
		Message  string `json:"message"`
	} `json:"errors"`
}

func (e *apiError) Error() string {
	msg := e.Detail
	if msg == "" {
		msg = e.Title
	}
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	var parts []string
	for _, d := range e.Errors {
		parts = append(parts, strings.TrimPrefix(d.Location, "body.")+": "+d.Message)
	}
	if len(parts) > 0 {
		msg += ": " + strings.Join(parts, "; ")
	}
	return fmt.Sprintf("server answered %d: %s", e.Status, msg)
}

// do sends a JSON request and decodes a 2xx answer into out. Answers 400,
// 404 and 422 become usage errors (the request was wrong).
func (c *apiClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("calling %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("reading the answer of %s %s: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		ae := &apiError{Status: resp.StatusCode}
		_ = json.Unmarshal(data, ae)
		switch resp.StatusCode {
		case http.StatusBadRequest, http.StatusNotFound, http.StatusUnprocessableEntity, http.StatusConflict:
			return &usageError{ae}
		}
		return ae
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("decoding the answer of %s %s: %w", method, path, err)
		}
	}
	return nil
}

func (c *apiClient) createSession(ctx context.Context, name string) (copilot.Session, error) {
	var s copilot.Session
	err := c.do(ctx, http.MethodPost, "/api/v1/sessions", map[string]string{"name": name}, &s)
	return s, err
}

func (c *apiClient) session(ctx context.Context, id string) (copilot.SessionDetail, error) {
	var d copilot.SessionDetail
	err := c.do(ctx, http.MethodGet, "/api/v1/sessions/"+url.PathEscape(id), nil, &d)
	return d, err
}

func (c *apiClient) sessions(ctx context.Context, limit int) ([]copilot.Session, error) {
	var out struct {
		Sessions []copilot.Session `json:"sessions"`
	}
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("/api/v1/sessions?limit=%d", limit), nil, &out)
	return out.Sessions, err
}

// submit posts a prompt and waits until its evaluation is done.
func (c *apiClient) submit(ctx context.Context, sessionID string, req copilot.PromptRequest) (copilot.Prompt, copilot.Evaluation, error) {
	var out struct {
		Prompt     copilot.Prompt     `json:"prompt"`
		Evaluation copilot.Evaluation `json:"evaluation"`
	}
	if err := c.do(ctx, http.MethodPost, "/api/v1/sessions/"+url.PathEscape(sessionID)+"/prompts?wait=30s", req, &out); err != nil {
		return copilot.Prompt{}, copilot.Evaluation{}, err
	}
	ev := out.Evaluation
	for !ev.State.Done() {
		if err := c.do(ctx, http.MethodGet, "/api/v1/sessions/"+url.PathEscape(sessionID)+"/evaluations/"+url.PathEscape(ev.ID)+"?wait=30s", nil, &ev); err != nil {
			return out.Prompt, ev, err
		}
	}
	return out.Prompt, ev, nil
}

func (c *apiClient) promptbooks(ctx context.Context) ([]copilot.Promptbook, error) {
	var out struct {
		Promptbooks []copilot.Promptbook `json:"promptbooks"`
	}
	err := c.do(ctx, http.MethodGet, "/api/v1/promptbooks", nil, &out)
	return out.Promptbooks, err
}

func (c *apiClient) promptbook(ctx context.Context, name string) (copilot.Promptbook, error) {
	var pb copilot.Promptbook
	err := c.do(ctx, http.MethodGet, "/api/v1/promptbooks/"+url.PathEscape(name), nil, &pb)
	return pb, err
}

func (c *apiClient) runPromptbook(ctx context.Context, name string, inputs map[string]string, sessionID string) (copilot.PromptbookRun, error) {
	var run copilot.PromptbookRun
	body := map[string]any{"inputs": inputs, "sessionId": sessionID}
	err := c.do(ctx, http.MethodPost, "/api/v1/promptbooks/"+url.PathEscape(name)+"/runs", body, &run)
	return run, err
}
