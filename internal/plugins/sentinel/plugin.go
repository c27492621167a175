// Package sentinel is the Microsoft Sentinel plugin: read incidents, their
// entities and alerts, post Spotter's report on an incident as comments
// (idempotently, split to fit Sentinel's limits) and write triage results
// back (status, labels, severity). Its settings are the sentinel section of
// the configuration (several workspaces, each with its credential), not
// plugins.sentinel.
package sentinel

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/spotter-soc/spotter/internal/config"
	api "github.com/spotter-soc/spotter/internal/sentinel"
	"github.com/spotter-soc/spotter/internal/skill"
)

// Name is the plugin name, the prefix of its skill ids.
const Name = "sentinel"

type plugin struct {
	cfg    config.Sentinel
	writes api.WritesOpener
	opts   api.Options // for tests: a credential
}

// New returns the plugin for the configured workspaces. writes, when not
// nil, opens where the incident revisions Spotter writes are recorded, so
// the poller and the webhook do not take them for analysts' updates.
func New(cfg config.Sentinel, writes api.WritesOpener) skill.Plugin {
	return &plugin{cfg: cfg, writes: writes}
}

// Info implements skill.Plugin.
func (p *plugin) Info() skill.PluginInfo {
	return skill.PluginInfo{
		Name: Name,
		Description: "Microsoft Sentinel through Azure Resource Manager (Microsoft.SecurityInsights): read incidents, " +
			"entities and alerts, post the report as comments (ids derived from the run, so a retry never duplicates; " +
			"split into numbered parts past 30,000 characters, never past 100 comments) and write triage back " +
			"(status, labels, severity). Configured in the sentinel section (workspaces with their credentials), " +
			"see docs/SENTINEL.md; the app needs Microsoft Sentinel Responder on each workspace.",
		Limits: api.ARMLimits,
		Skills: []skill.Spec{getIncidentSpec, listIncidentsSpec, listEntitiesSpec, postReportSpec, updateIncidentSpec},
	}
}

// New implements skill.Plugin: one client (credential, token cache) per workspace.
func (p *plugin) New(env skill.Env) ([]skill.Skill, error) {
	if len(p.cfg.Workspaces) == 0 && len(p.cfg.Defender) == 0 {
		return nil, errors.New("no workspaces: add sentinel.workspaces or sentinel.defender to the configuration (see docs/SENTINEL.md)")
	}
	w := &workspaces{byName: map[string]*api.Client{}, defender: map[string]*api.DefenderClient{}, writes: p.writes, log: env.Log}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	for _, t := range p.cfg.Defender {
		opts := p.opts
		opts.HTTP, opts.Log = env.HTTP, env.Log
		c, err := api.NewDefenderClient(t, opts)
		if err != nil {
			return nil, err
		}
		w.defender[t.Name] = c
	}
	for _, ws := range p.cfg.Workspaces {
		opts := p.opts
		opts.HTTP, opts.Log = env.HTTP, env.Log
		c, err := api.NewClient(ws, opts)
		if err != nil {
			return nil, err
		}
		w.byName[ws.Name] = c
		w.list = append(w.list, c)
	}
	return []skill.Skill{
		skill.Func{S: getIncidentSpec, F: w.getIncident},
		skill.Func{S: listIncidentsSpec, F: w.listIncidents},
		skill.Func{S: listEntitiesSpec, F: w.listEntities},
		skill.Func{S: postReportSpec, F: w.postReport},
		skill.Func{S: updateIncidentSpec, F: w.updateIncident},
	}, nil
}

// workspaces are the configured workspaces' clients.
type workspaces struct {
	byName   map[string]*api.Client
	list     []*api.Client
	defender map[string]*api.DefenderClient
	writes   api.WritesOpener
	log      *slog.Logger
}

// recordWrite notes a revision Spotter wrote. A failure only risks one
// extra run for that revision, so it is logged, not returned.
func (w *workspaces) recordWrite(ctx context.Context, revision string) {
	if w.writes == nil {
		return
	}
	wr, err := w.writes(ctx)
	if err == nil {
		err = wr.Record(ctx, revision)
	}
	if err != nil {
		w.log.Warn("could not record Spotter's own incident change", "error", err.Error())
	}
}

// defenderClient returns the tenant's client for a defender:<tenant>/<id>
// incident; ok is false for other incident ids.
func (w *workspaces) defenderClient(id, incident string) (c *api.DefenderClient, incidentID string, ok bool, err error) {
	tenant, iid, isDefender := api.ParseDefenderIncidentID(strings.TrimSpace(incident))
	if !isDefender {
		if strings.HasPrefix(incident, "defender:") {
			return nil, "", true, &skill.InputError{Skill: id, Input: "incident", Msg: "expected defender:<tenant>/<incident id>"}
		}
		return nil, "", false, nil
	}
	c, found := w.defender[tenant]
	if !found {
		return nil, "", true, &skill.InputError{Skill: id, Input: "incident", Msg: fmt.Sprintf("Defender tenant %q is not configured (sentinel.defender)", tenant)}
	}
	return c, iid, true, nil
}

// client picks a workspace by name; with one workspace the name may be omitted.
func (w *workspaces) client(id, name string) (*api.Client, error) {
	if name == "" {
		if len(w.list) == 1 {
			return w.list[0], nil
		}
		return nil, &skill.InputError{Skill: id, Input: "workspace", Msg: "required when several workspaces are configured; expected one of " + w.names()}
	}
	c, ok := w.byName[name]
	if !ok {
		return nil, &skill.InputError{Skill: id, Input: "workspace", Msg: fmt.Sprintf("%q: no such workspace; expected one of %s", name, w.names())}
	}
	return c, nil
}

func (w *workspaces) names() string {
	var out []string
	for _, c := range w.list {
		out = append(out, c.Workspace().Name)
	}
	return strings.Join(out, ", ")
}

// resolve finds the workspace and incident name of an incident given by
// its ARM resource id, or by its name with the workspace.
func (w *workspaces) resolve(id, incident, workspace string) (*api.Client, string, error) {
	incident = strings.TrimSpace(incident)
	if strings.HasPrefix(incident, "/") {
		ref, err := api.ParseIncidentID(incident)
		if err != nil {
			return nil, "", &skill.InputError{Skill: id, Input: "incident", Msg: err.Error()}
		}
		for _, c := range w.list {
			if ref.Matches(c.Workspace()) && (workspace == "" || workspace == c.Workspace().Name) {
				return c, ref.Incident, nil
			}
		}
		return nil, "", &skill.InputError{Skill: id, Input: "incident", Msg: fmt.Sprintf(
			"workspace %s (resource group %s) is not configured; expected an incident of %s", ref.Workspace, ref.ResourceGroup, w.names())}
	}
	c, err := w.client(id, workspace)
	if err != nil {
		return nil, "", err
	}
	return c, incident, nil
}
