package sentinel

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// DefenderIncident is a Microsoft Graph security incident (Defender XDR),
// with its alerts when read with $expand=alerts.
type DefenderIncident struct {
	ID                 string            `json:"id"`
	TenantID           string            `json:"tenantId,omitempty"`
	DisplayName        string            `json:"displayName"`
	Description        string            `json:"description,omitempty"`
	Severity           string            `json:"severity"` // unknown, informational, low, medium, high, unknownFutureValue
	Status             string            `json:"status"`   // active, resolved, inProgress, redirected, awaitingAction, ...
	Classification     string            `json:"classification,omitempty"`
	Determination      string            `json:"determination,omitempty"`
	AssignedTo         string            `json:"assignedTo,omitempty"`
	CreatedDateTime    string            `json:"createdDateTime"`
	LastUpdateDateTime string            `json:"lastUpdateDateTime"`
	IncidentWebURL     string            `json:"incidentWebUrl,omitempty"`
	CustomTags         []string          `json:"customTags,omitempty"`
	SystemTags         []string          `json:"systemTags,omitempty"`
	Comments           []DefenderComment `json:"comments,omitempty"`
	Alerts             []DefenderAlert   `json:"alerts,omitempty"`
}

// DefenderComment is one incident comment.
type DefenderComment struct {
	Comment              string `json:"comment"`
	CreatedByDisplayName string `json:"createdByDisplayName,omitempty"`
	CreatedDateTime      string `json:"createdDateTime,omitempty"`
}

// DefenderAlert is one alert of an incident, with its evidence.
type DefenderAlert struct {
	ID              string           `json:"id"`
	Title           string           `json:"title"`
	Description     string           `json:"description,omitempty"`
	Severity        string           `json:"severity,omitempty"`
	Status          string           `json:"status,omitempty"`
	ServiceSource   string           `json:"serviceSource,omitempty"`
	DetectionSource string           `json:"detectionSource,omitempty"`
	ProductName     string           `json:"productName,omitempty"`
	Category        string           `json:"category,omitempty"`
	MitreTechniques []string         `json:"mitreTechniques,omitempty"`
	AlertWebURL     string           `json:"alertWebUrl,omitempty"`
	CreatedDateTime string           `json:"createdDateTime,omitempty"`
	FirstActivity   string           `json:"firstActivityDateTime,omitempty"`
	LastActivity    string           `json:"lastActivityDateTime,omitempty"`
	Evidence        []map[string]any `json:"evidence,omitempty"`
}

// ParseDefenderIncident reads one incident.
func ParseDefenderIncident(data []byte) (*DefenderIncident, error) {
	var inc DefenderIncident
	if err := decode("Defender incident", data, &inc); err != nil {
		return nil, err
	}
	if inc.ID == "" {
		return nil, &ParseError{What: "Defender incident", Path: "$.id", Msg: "missing: expected the incident id"}
	}
	return &inc, nil
}

// DefenderPage is one page of GET /security/incidents.
type DefenderPage struct {
	Value    []DefenderIncident `json:"value"`
	NextLink string             `json:"@odata.nextLink,omitempty"`
}

// ParseDefenderPage reads one page of incidents.
func ParseDefenderPage(data []byte) (*DefenderPage, error) {
	var p DefenderPage
	if err := decode("list of Defender incidents", data, &p); err != nil {
		return nil, err
	}
	for i, inc := range p.Value {
		if inc.ID == "" {
			return nil, &ParseError{What: "list of Defender incidents", Path: fmt.Sprintf("$.value[%d].id", i), Msg: "missing: expected the incident id"}
		}
	}
	return &p, nil
}

// capitalised maps Graph's camel-case enum values to Sentinel's spelling.
var (
	defenderSeverity = map[string]string{"high": SeverityHigh, "medium": SeverityMedium, "low": SeverityLow, "informational": SeverityInformational}
	defenderStatus   = map[string]string{"active": StatusNew, "inprogress": StatusActive, "awaitingaction": StatusActive, "resolved": StatusClosed, "redirected": StatusClosed}
)

// DefenderIncidentID is how Spotter names a Defender incident of a
// configured tenant in run documents: defender:<tenant>/<id>.
func DefenderIncidentID(tenant, id string) string { return "defender:" + tenant + "/" + id }

// ParseDefenderIncidentID splits defender:<tenant>/<id>.
func ParseDefenderIncidentID(s string) (tenant, id string, ok bool) {
	rest, ok := strings.CutPrefix(s, "defender:")
	if !ok {
		return "", "", false
	}
	tenant, id, ok = strings.Cut(rest, "/")
	return tenant, id, ok && tenant != "" && id != "" && !strings.Contains(id, "/")
}

// DefenderDocument turns a Defender incident into the Sentinel-shaped
// document incident.Parse reads ({"incident": ..., "entities": [...]}):
// alerts become SecurityAlert entities, evidence becomes entities of the
// matching Sentinel kinds. Evidence of other types is counted in
// additionalData.unmappedEvidence.
func DefenderDocument(tenant string, inc *DefenderIncident) (json.RawMessage, error) {
	sev := defenderSeverity[strings.ToLower(inc.Severity)]
	if sev == "" {
		sev = SeverityInformational
	}
	status := defenderStatus[strings.ToLower(inc.Status)]
	if status == "" {
		status = StatusNew
	}
	var products, tactics []string
	var alerts, entities []map[string]any
	unmapped := map[string]int{}
	seen := map[string]bool{}
	for _, a := range inc.Alerts {
		for _, p := range []string{a.ProductName, a.ServiceSource} {
			if p != "" && !slices.Contains(products, p) {
				products = append(products, p)
				break
			}
		}
		if a.Category != "" && !slices.Contains(tactics, a.Category) {
			tactics = append(tactics, a.Category)
		}
		alerts = append(alerts, map[string]any{"id": "defender-alert:" + a.ID, "name": a.ID, "kind": "SecurityAlert", "properties": map[string]any{
			"alertDisplayName": a.Title, "description": a.Description, "severity": defenderSeverity[strings.ToLower(a.Severity)],
			"status": a.Status, "productName": cmp.Or(a.ProductName, a.ServiceSource), "tactics": nonNilStrings(nonEmpty(a.Category)),
			"techniques": nonNilStrings(a.MitreTechniques), "startTimeUtc": a.FirstActivity, "endTimeUtc": a.LastActivity,
			"timeGenerated": a.CreatedDateTime, "alertLink": a.AlertWebURL, "providerAlertId": a.ID, "friendlyName": a.Title,
		}})
		for _, ev := range a.Evidence {
			for _, e := range EvidenceEntities(ev) {
				key := fmt.Sprint(e["kind"], e["properties"])
				if seen[key] {
					continue
				}
				seen[key] = true
				e["id"] = fmt.Sprintf("defender-entity:%s/%d", inc.ID, len(entities)+1)
				e["name"] = strconv.Itoa(len(entities) + 1)
				entities = append(entities, e)
			}
			if len(EvidenceEntities(ev)) == 0 {
				t, _ := ev["@odata.type"].(string)
				unmapped[strings.TrimPrefix(t, "#microsoft.graph.security.")]++
			}
		}
	}
	props := map[string]any{
		"title": inc.DisplayName, "description": inc.Description, "severity": sev, "status": status,
		"createdTimeUtc": inc.CreatedDateTime, "lastModifiedTimeUtc": inc.LastUpdateDateTime,
		"incidentUrl": inc.IncidentWebURL, "providerName": "Microsoft 365 Defender", "providerIncidentId": inc.ID,
		"labels": nonNilStrings(inc.CustomTags),
		"additionalData": map[string]any{"alertProductNames": nonNilStrings(products), "tactics": nonNilStrings(tactics),
			"alertsCount": len(inc.Alerts), "unmappedEvidence": unmapped},
	}
	if n, err := strconv.Atoi(inc.ID); err == nil {
		props["incidentNumber"] = n
	}
	if len(alerts) > 0 {
		props["alerts"] = alerts
	}
	if entities == nil {
		entities = []map[string]any{}
	}
	return json.Marshal(map[string]any{
		"incident": map[string]any{"id": DefenderIncidentID(tenant, inc.ID), "name": inc.ID, "type": "Microsoft.SecurityInsights/incidents", "properties": props},
		"entities": entities,
	})
}

// EvidenceEntities maps one Graph evidence object to Sentinel-kind
// entities ({"kind", "properties"}); none for types Spotter does not use.
func EvidenceEntities(ev map[string]any) []map[string]any {
	t, _ := ev["@odata.type"].(string)
	s := func(m map[string]any, k string) string { v, _ := m[k].(string); return strings.TrimSpace(v) }
	obj := func(m map[string]any, k string) map[string]any { v, _ := m[k].(map[string]any); return v }
	ent := func(kind string, props map[string]any) map[string]any {
		for k, v := range props {
			if v == "" || v == nil {
				delete(props, k)
			}
		}
		return map[string]any{"kind": kind, "properties": props}
	}
	files := func(f map[string]any) []map[string]any {
		if f == nil {
			return nil
		}
		var out []map[string]any
		if name := s(f, "fileName"); name != "" {
			out = append(out, ent("File", map[string]any{"fileName": name, "directory": s(f, "filePath"), "friendlyName": name}))
		}
		for _, h := range []struct{ k, alg string }{{"sha256", "SHA256"}, {"sha1", "SHA1"}, {"md5", "MD5"}} {
			if v := s(f, h.k); v != "" {
				out = append(out, ent("FileHash", map[string]any{"algorithm": h.alg, "hashValue": v, "friendlyName": v}))
			}
		}
		return out
	}
	switch strings.TrimPrefix(t, "#microsoft.graph.security.") {
	case "ipEvidence":
		if ip := s(ev, "ipAddress"); ip != "" {
			return []map[string]any{ent("Ip", map[string]any{"address": ip, "friendlyName": ip})}
		}
	case "userEvidence":
		u := obj(ev, "userAccount")
		if u == nil {
			return nil
		}
		upn := s(u, "userPrincipalName")
		name := s(u, "accountName")
		suffix := ""
		if at := strings.LastIndex(upn, "@"); at > 0 {
			suffix = upn[at+1:]
			if name == "" {
				name = upn[:at]
			}
		}
		if name == "" {
			return nil
		}
		return []map[string]any{ent("Account", map[string]any{"accountName": name, "upnSuffix": suffix, "ntDomain": s(u, "domainName"),
			"aadUserId": s(u, "azureAdUserId"), "sid": s(u, "userSid"), "displayName": s(u, "displayName"), "friendlyName": cmp.Or(upn, name)})}
	case "deviceEvidence":
		dns := s(ev, "deviceDnsName")
		host, domain, _ := strings.Cut(dns, ".")
		if host == "" {
			host = s(ev, "hostName")
		}
		if host == "" {
			return nil
		}
		return []map[string]any{ent("Host", map[string]any{"hostName": host, "dnsDomain": domain, "osFamily": s(ev, "osPlatform"),
			"azureID": s(ev, "azureAdDeviceId"), "friendlyName": cmp.Or(dns, host)})}
	case "processEvidence":
		cmd := s(ev, "processCommandLine")
		out := files(obj(ev, "imageFile"))
		if cmd != "" {
			pid := ""
			if n, ok := ev["processId"].(float64); ok {
				pid = strconv.FormatInt(int64(n), 10)
			}
			out = append([]map[string]any{ent("Process", map[string]any{"commandLine": cmd, "processId": pid, "friendlyName": cmd})}, out...)
		}
		return out
	case "fileEvidence":
		return files(obj(ev, "fileDetails"))
	case "urlEvidence":
		if u := s(ev, "url"); u != "" {
			return []map[string]any{ent("Url", map[string]any{"url": u, "friendlyName": u})}
		}
	case "mailboxEvidence":
		if a := s(ev, "primaryAddress"); a != "" {
			return []map[string]any{ent("Mailbox", map[string]any{"mailboxPrimaryAddress": a, "displayName": s(ev, "displayName"), "friendlyName": a})}
		}
	case "analyzedMessageEvidence":
		p1, p2 := obj(ev, "p1Sender"), obj(ev, "p2Sender")
		props := map[string]any{"subject": s(ev, "subject"), "recipient": s(ev, "recipientEmailAddress"), "senderIP": s(ev, "senderIp"),
			"networkMessageId": s(ev, "networkMessageId"), "internetMessageId": s(ev, "internetMessageId"),
			"p1Sender": s(p1, "emailAddress"), "p1SenderDomain": s(p1, "domainName"), "p2Sender": s(p2, "emailAddress"),
			"p2SenderDomain": s(p2, "domainName"), "friendlyName": s(ev, "subject")}
		if urls, ok := ev["urls"].([]any); ok {
			props["urls"] = urls
		}
		if props["subject"] == "" && props["networkMessageId"] == "" {
			return nil
		}
		return []map[string]any{ent("MailMessage", props)}
	case "cloudApplicationEvidence":
		props := map[string]any{"appName": s(ev, "displayName"), "friendlyName": s(ev, "displayName")}
		if n, ok := ev["appId"].(float64); ok {
			props["appId"] = n
		}
		if props["appName"] == "" {
			return nil
		}
		return []map[string]any{ent("CloudApplication", props)}
	case "azureResourceEvidence":
		if id := s(ev, "resourceId"); id != "" {
			return []map[string]any{ent("AzureResource", map[string]any{"resourceId": id, "friendlyName": cmp.Or(s(ev, "resourceName"), id)})}
		}
	case "registryKeyEvidence":
		if k := s(ev, "registryKey"); k != "" {
			return []map[string]any{ent("RegistryKey", map[string]any{"key": k, "hive": s(ev, "registryHive"), "friendlyName": k})}
		}
	case "dnsEvidence":
		if d := s(ev, "domainName"); d != "" {
			return []map[string]any{ent("DnsResolution", map[string]any{"domainName": d, "friendlyName": d})}
		}
	}
	return nil
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

func nonNilStrings(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}
