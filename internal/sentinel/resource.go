package sentinel

import (
	"fmt"
	"strings"

	"github.com/spotter-soc/spotter/internal/config"
)

// IncidentRef locates an incident: its workspace by ARM coordinates and
// its name (GUID).
type IncidentRef struct {
	SubscriptionID string
	ResourceGroup  string
	Workspace      string
	Incident       string
}

// ParseIncidentID reads an incident's ARM resource id,
// /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.OperationalInsights/workspaces/{ws}/providers/Microsoft.SecurityInsights/incidents/{id},
// comparing the fixed segments case-insensitively (trigger payloads spell
// them Incidents).
func ParseIncidentID(id string) (IncidentRef, error) {
	segs := strings.Split(strings.Trim(id, "/"), "/")
	want := []string{"subscriptions", "", "resourcegroups", "", "providers", "microsoft.operationalinsights", "workspaces", "", "providers", "microsoft.securityinsights", "incidents", ""}
	if !strings.HasPrefix(id, "/") || len(segs) != len(want) {
		return IncidentRef{}, fmt.Errorf("incident id %q: expected /subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.OperationalInsights/workspaces/{name}/providers/Microsoft.SecurityInsights/incidents/{id}", clean(id, 200))
	}
	for i, w := range want {
		if w == "" {
			if segs[i] == "" {
				return IncidentRef{}, fmt.Errorf("incident id %q: segment %d is empty", clean(id, 200), i+1)
			}
			continue
		}
		if !strings.EqualFold(segs[i], w) {
			return IncidentRef{}, fmt.Errorf("incident id %q: segment %d is %q; expected %q", clean(id, 200), i+1, clean(segs[i], 60), w)
		}
	}
	ref := IncidentRef{SubscriptionID: segs[1], ResourceGroup: segs[3], Workspace: segs[7], Incident: segs[11]}
	if !validID(ref.Incident) {
		return IncidentRef{}, fmt.Errorf("incident id %q: the incident name is not a GUID", clean(id, 200))
	}
	return ref, nil
}

// Matches reports whether the reference is in the configured workspace.
func (r IncidentRef) Matches(ws config.SentinelWorkspace) bool {
	return strings.EqualFold(r.SubscriptionID, ws.SubscriptionID) && strings.EqualFold(r.ResourceGroup, ws.ResourceGroup) &&
		strings.EqualFold(r.Workspace, ws.WorkspaceName)
}

// RunKey is the idempotency key of a playbook run for one revision of an
// incident: the poller and the webhook build it the same way, so the same
// revision seen by both starts one run.
func RunKey(ws config.SentinelWorkspace, incident, lastModified, playbook string) string {
	return RevisionKey(ws, incident, lastModified) + "/" + playbook
}

// RevisionKey names one revision of an incident.
func RevisionKey(ws config.SentinelWorkspace, incident, lastModified string) string {
	return strings.ToLower("sentinel/"+ws.SubscriptionID+"/"+ws.ResourceGroup+"/"+ws.WorkspaceName+"/"+incident) +
		"/" + normTime(lastModified)
}

// DefenderRevisionKey names one revision of a Defender incident.
func DefenderRevisionKey(tenant, incident, lastUpdate string) string {
	return strings.ToLower("defender/"+tenant+"/"+incident) + "/" + normTime(lastUpdate)
}
