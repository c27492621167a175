package entra

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/azure"
)

// SignIn is one sign-in event, in Graph's property names. Enumerations are
// kept as strings: Graph adds values (unknownFutureValue and newer).
type SignIn struct {
	ID                      string    `json:"id"`
	CreatedDateTime         time.Time `json:"createdDateTime"`
	AppDisplayName          string    `json:"appDisplayName,omitempty"`
	ResourceDisplayName     string    `json:"resourceDisplayName,omitempty"`
	ClientAppUsed           string    `json:"clientAppUsed,omitempty"`
	IPAddress               string    `json:"ipAddress,omitempty"`
	IsInteractive           *bool     `json:"isInteractive,omitempty"`
	Status                  Status    `json:"status"`
	Location                Location  `json:"location"`
	DeviceDetail            Device    `json:"deviceDetail"`
	RiskLevelDuringSignIn   string    `json:"riskLevelDuringSignIn,omitempty"`
	RiskLevelAggregated     string    `json:"riskLevelAggregated,omitempty"`
	RiskState               string    `json:"riskState,omitempty"`
	RiskDetail              string    `json:"riskDetail,omitempty"`
	RiskEventTypes          []string  `json:"riskEventTypes_v2,omitempty"`
	ConditionalAccessStatus string    `json:"conditionalAccessStatus,omitempty"`
	// AppliedConditionalAccessPolicies lists the policies that applied (result other than notApplied).
	AppliedConditionalAccessPolicies []CAPolicy `json:"appliedConditionalAccessPolicies,omitempty"`
}

// Status is a sign-in's outcome: ErrorCode 0 is success.
type Status struct {
	ErrorCode         int    `json:"errorCode"`
	FailureReason     string `json:"failureReason,omitempty"`
	AdditionalDetails string `json:"additionalDetails,omitempty"`
}

// Location is where a sign-in came from, by IP geolocation.
type Location struct {
	City            string `json:"city,omitempty"`
	State           string `json:"state,omitempty"`
	CountryOrRegion string `json:"countryOrRegion,omitempty"`
}

// Device is the device a sign-in came from, as the client reported it.
type Device struct {
	DeviceID        string `json:"deviceId,omitempty"`
	DisplayName     string `json:"displayName,omitempty"`
	OperatingSystem string `json:"operatingSystem,omitempty"`
	Browser         string `json:"browser,omitempty"`
	IsCompliant     *bool  `json:"isCompliant,omitempty"`
	IsManaged       *bool  `json:"isManaged,omitempty"`
	TrustType       string `json:"trustType,omitempty"`
}

// CAPolicy is a Conditional Access policy evaluated for a sign-in.
type CAPolicy struct {
	DisplayName           string   `json:"displayName"`
	Result                string   `json:"result"`
	EnforcedGrantControls []string `json:"enforcedGrantControls,omitempty"`
}

// SignInReport is the sign-in part of the user details: the events and
// what they add up to.
type SignInReport struct {
	Hours     int       `json:"hours"`
	Since     time.Time `json:"since"`
	Count     int       `json:"count"`
	Failed    int       `json:"failed"`
	Succeeded int       `json:"succeeded"`
	// FailureCodes counts failed sign-ins by error code.
	FailureCodes map[int]int `json:"failure_codes,omitempty"`
	// Countries lists the countries or regions seen, most sign-ins first;
	// SuccessCountries those of successful sign-ins only.
	Countries        []string `json:"countries"`
	SuccessCountries []string `json:"success_countries"`
	IPs              []string `json:"ips"`
	Apps             []string `json:"apps"`
	// Risky counts sign-ins rated medium or high, or whose risk is at risk
	// or confirmed compromised.
	Risky int `json:"risky"`
	// HighestRisk is the worst risk level seen (none, low, medium, high).
	HighestRisk string `json:"highest_risk"`
	// Compromised counts sign-ins an administrator confirmed compromised.
	Compromised int `json:"compromised"`
	// CAFailures counts sign-ins Conditional Access blocked.
	CAFailures int `json:"ca_failures"`
	// UnknownRisk lists risk values this version does not know.
	UnknownRisk []string `json:"unknown_risk,omitempty"`
	Truncated   bool     `json:"truncated"`
	Items       []SignIn `json:"items"`
}

// readSignIns reads the user's sign-ins of the last hours, newest first, at
// most limit of them. Graph filters by object id and time; $top is the page
// size (at most 1000 for sign-ins).
func readSignIns(ctx context.Context, g *azure.Client, userID string, now time.Time, hours, limit int) (*SignInReport, error) {
	since := now.Add(-time.Duration(hours) * time.Hour).UTC().Truncate(time.Second)
	items, more, err := azure.List[SignIn](ctx, g, azure.Request{
		Path:       "/auditLogs/signIns",
		Filter:     azure.Eq("userId", userID) + " and createdDateTime ge " + azure.DateTime(since),
		Top:        min(limit, 1000),
		What:       "sign-in logs",
		Permission: "AuditLog.Read.All",
		License:    "an Entra ID P1/P2 license",
	}, limit)
	if err != nil {
		return nil, err
	}
	r := summarizeSignIns(items)
	r.Hours, r.Since, r.Truncated = hours, since, more
	return r, nil
}

// riskRank orders the documented risk levels; other values rank -1.
func riskRank(level string) int {
	switch strings.ToLower(level) {
	case "none", "":
		return 0
	case "low":
		return 1
	case "medium":
		return 2
	case "high":
		return 3
	case "hidden", "unknownfuturevalue":
		return 0
	}
	return -1
}

// summarizeSignIns counts outcomes, places, apps and risk.
func summarizeSignIns(items []SignIn) *SignInReport {
	r := &SignInReport{Items: items, Count: len(items), HighestRisk: "none", FailureCodes: map[int]int{}}
	if r.Items == nil {
		r.Items = []SignIn{}
	}
	countries, okCountries, ips, apps := counter{}, counter{}, counter{}, counter{}
	unknown := map[string]bool{}
	for i := range items {
		si := &items[i]
		applied := si.AppliedConditionalAccessPolicies[:0]
		for _, p := range si.AppliedConditionalAccessPolicies {
			if !strings.EqualFold(p.Result, "notApplied") && !strings.EqualFold(p.Result, "notEnabled") {
				applied = append(applied, p)
			}
		}
		si.AppliedConditionalAccessPolicies = applied
		c := strings.ToUpper(si.Location.CountryOrRegion)
		countries.add(c)
		ips.add(si.IPAddress)
		apps.add(si.AppDisplayName)
		if si.Status.ErrorCode == 0 {
			r.Succeeded++
			okCountries.add(c)
		} else {
			r.Failed++
			r.FailureCodes[si.Status.ErrorCode]++
		}
		if strings.EqualFold(si.ConditionalAccessStatus, "failure") {
			r.CAFailures++
		}
		worst := 0
		for _, lv := range []string{si.RiskLevelDuringSignIn, si.RiskLevelAggregated} {
			rank := riskRank(lv)
			if rank < 0 {
				unknown[lv] = true
			}
			worst = max(worst, rank)
		}
		if worst > riskRank(r.HighestRisk) {
			r.HighestRisk = []string{"none", "low", "medium", "high"}[worst]
		}
		state := strings.ToLower(si.RiskState)
		if state == "confirmedcompromised" {
			r.Compromised++
		}
		if worst >= 2 || state == "atrisk" || state == "confirmedcompromised" {
			r.Risky++
		}
	}
	r.Countries, r.SuccessCountries, r.IPs, r.Apps = countries.sorted(), okCountries.sorted(), ips.sorted(), apps.sorted()
	for v := range unknown {
		r.UnknownRisk = append(r.UnknownRisk, v)
	}
	sort.Strings(r.UnknownRisk)
	if len(r.FailureCodes) == 0 {
		r.FailureCodes = nil
	}
	return r
}

// counter counts non-empty strings and lists them most frequent first.
type counter map[string]int

func (c counter) add(s string) {
	if s != "" {
		c[s]++
	}
}

func (c counter) sorted() []string {
	out := make([]string, 0, len(c))
	for k := range c {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if c[out[i]] != c[out[j]] {
			return c[out[i]] > c[out[j]]
		}
		return out[i] < out[j]
	})
	return out
}
