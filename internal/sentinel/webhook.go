package sentinel

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"strings"

	"github.com/spotter-soc/spotter/internal/config"
	"github.com/spotter-soc/spotter/internal/incident"
	"github.com/spotter-soc/spotter/internal/runs"
)

// HookPath is where Sentinel deliveries are posted; HookPath/{name}
// selects a named hook.
const HookPath = "/api/v1/hooks/sentinel"

// HookSecretHeader carries a hook's secret (or ?code=, as Logic Apps callback URLs do).
const HookSecretHeader = "X-Spotter-Hook-Secret"

// DefaultMaxHookBytes bounds one delivery.
const DefaultMaxHookBytes = 32 << 20

// WebhookOptions configure NewWebhook.
type WebhookOptions struct {
	Hooks   []config.SentinelHook
	Starter runs.Starter
	// Inputs are passed to every run (the write-back switches); a hook's
	// own inputs win.
	Inputs map[string]any
	// Declares filters Inputs per playbook, as PollerOptions.Declares.
	Declares func(playbook, input string) bool
	// Writes, when set, make updates that are Spotter's own write-back
	// start nothing.
	Writes   Writes
	Log      *slog.Logger
	MaxBytes int64
}

// Webhook receives the Sentinel incident-trigger payload (as an automation
// rule hands it to a playbook, forwarded by an HTTP action) and starts the
// hook's playbook for it, durably and once per incident revision.
type Webhook struct {
	o     WebhookOptions
	hooks map[string]config.SentinelHook
}

// NewWebhook returns the handler of HookPath and HookPath/{name}.
func NewWebhook(o WebhookOptions) (*Webhook, error) {
	if o.Starter == nil {
		return nil, errors.New("sentinel webhook: a runs.Starter is required")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxHookBytes
	}
	w := &Webhook{o: o, hooks: map[string]config.SentinelHook{}}
	for _, h := range o.Hooks {
		if h.Secret == "" {
			return nil, errors.New("sentinel hook " + h.Name + ": secret is empty")
		}
		w.hooks[h.Name] = h
	}
	return w, nil
}

// HookReply is the body of a 202.
type HookReply struct {
	RunID string `json:"run_id"`
	// Duplicate is true when this incident revision already had a run:
	// nothing new was started and RunID is that run.
	Duplicate bool `json:"duplicate"`
	// Ignored says why nothing was started (an update Spotter made itself).
	Ignored string `json:"ignored,omitempty"`
}

// ServeHTTP implements http.Handler.
func (wh *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name, ok := wh.hookName(r.URL.Path)
	if !ok {
		problem(w, http.StatusNotFound, "no such hook path; expected "+HookPath+" or "+HookPath+"/{name}", "")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		problem(w, http.StatusMethodNotAllowed, "expected POST", "")
		return
	}
	hook, known := wh.pick(name)
	given := r.Header.Get(HookSecretHeader)
	if given == "" {
		given = r.URL.Query().Get("code")
	}
	// Unknown hooks and wrong secrets get the same answer, in the same time.
	want := hook.Secret
	if !known {
		want = "\x00no hook"
	}
	a, b := sha256.Sum256([]byte(given)), sha256.Sum256([]byte(want))
	if subtle.ConstantTimeCompare(a[:], b[:]) != 1 || !known || given == "" {
		wh.o.Log.Warn("sentinel hook delivery refused: unknown hook or wrong secret", "hook", clean(name, 64))
		problem(w, http.StatusUnauthorized, "unknown hook or wrong secret: send the hook's secret in the "+HookSecretHeader+" header or as ?code=", "")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, wh.o.MaxBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			problem(w, http.StatusRequestEntityTooLarge, "the delivery is larger than the hook accepts", "")
			return
		}
		problem(w, http.StatusBadRequest, "reading the delivery: "+err.Error(), "")
		return
	}
	req, field, err := Delivery(body)
	if err != nil {
		problem(w, http.StatusBadRequest, err.Error(), field)
		return
	}
	if req.Event == "updated" && wh.o.Writes != nil {
		own, err := wh.o.Writes.Written(r.Context(), req.Key)
		if err != nil {
			wh.o.Log.Error("sentinel hook: reading own writes failed", "hook", hook.Name, "error", err.Error())
			problem(w, http.StatusServiceUnavailable, "the delivery could not be checked; it can be retried", "")
			return
		}
		if own {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusAccepted)
			_ = json.NewEncoder(w).Encode(HookReply{Ignored: "this revision is Spotter's own write-back"})
			return
		}
	}
	req.Playbook = hook.Playbook
	if req.Playbook == "" {
		req.Playbook = DefaultPlaybook
	}
	req.Key += "/" + req.Playbook
	req.Origin = "sentinel-hook:" + hook.Name
	req.Inputs = RunInputs(req.Playbook, wh.o.Declares, wh.o.Inputs)
	maps.Copy(req.Inputs, hook.Inputs)
	id, existed, err := wh.o.Starter.Start(r.Context(), req)
	if err != nil {
		wh.o.Log.Error("sentinel hook: starting the run failed", "hook", hook.Name, "error", err.Error())
		problem(w, http.StatusServiceUnavailable, "the run could not be started; the delivery can be retried", "")
		return
	}
	wh.o.Log.Info("sentinel hook delivery", "hook", hook.Name, "run", id, "duplicate", existed)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(HookReply{RunID: id, Duplicate: existed})
}

// hookName reads the hook name from the path ("" for HookPath itself).
func (wh *Webhook) hookName(path string) (string, bool) {
	path = strings.TrimSuffix(path, "/")
	if path == HookPath {
		return "", true
	}
	rest, ok := strings.CutPrefix(path, HookPath+"/")
	if !ok || rest == "" || strings.Contains(rest, "/") {
		return "", false
	}
	return rest, true
}

// pick returns the named hook; the bare path takes the hook named
// "default", else the only hook configured.
func (wh *Webhook) pick(name string) (config.SentinelHook, bool) {
	if name != "" {
		h, ok := wh.hooks[name]
		return h, ok
	}
	if h, ok := wh.hooks["default"]; ok {
		return h, true
	}
	if len(wh.hooks) == 1 {
		for _, h := range wh.hooks {
			return h, true
		}
	}
	return config.SentinelHook{}, false
}

// Delivery reads a trigger payload into a start request (without playbook,
// origin or inputs). Its Key is the incident revision (RevisionKey; the
// run key adds the playbook). On error, field is the JSON path at fault.
func Delivery(body []byte) (req runs.StartRequest, field string, err error) {
	inc, err := incident.Parse(body)
	if err != nil {
		var ie *incident.InputError
		if errors.As(err, &ie) {
			return req, ie.Path, err
		}
		return req, "$", err
	}
	if inc.Shape != incident.ShapeTrigger {
		return req, "$.object", errors.New("$.object: missing: expected the Sentinel incident-trigger payload ({\"object\": <incident>, \"workspaceInfo\": ...})")
	}
	if inc.Name == "" {
		return req, "$.object.name", errors.New("$.object.name: missing: expected the incident id (a GUID)")
	}
	if inc.LastModified == "" {
		return req, "$.object.properties.lastModifiedTimeUtc", errors.New("$.object.properties.lastModifiedTimeUtc: missing: expected the incident's last modification time, which tells revisions apart")
	}
	ws := config.SentinelWorkspace{SubscriptionID: inc.Workspace.SubscriptionID, ResourceGroup: inc.Workspace.ResourceGroup, WorkspaceName: inc.Workspace.Name}
	if ref, err := ParseIncidentID(inc.ID); err == nil {
		ws = config.SentinelWorkspace{SubscriptionID: ref.SubscriptionID, ResourceGroup: ref.ResourceGroup, WorkspaceName: ref.Workspace}
	} else if ws.SubscriptionID == "" || ws.WorkspaceName == "" {
		return req, "$.object.id", errors.New("$.object.id: expected the incident's ARM resource id (or $.workspaceInfo), to know its workspace")
	}
	event := "created"
	if strings.EqualFold(inc.EventType, "Update") {
		event = "updated"
	}
	return runs.StartRequest{Trigger: "incident", Event: event, Incident: json.RawMessage(body), Key: RevisionKey(ws, inc.Name, inc.LastModified)}, "", nil
}

// problem writes an RFC 9457 problem; field names the JSON path at fault.
func problem(w http.ResponseWriter, status int, detail, field string) {
	body := map[string]any{"title": http.StatusText(status), "status": status, "detail": detail}
	if field != "" {
		body["field"] = field
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
