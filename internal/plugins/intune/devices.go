package intune

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/spotter-soc/spotter/internal/azure"
	"github.com/spotter-soc/spotter/internal/skill"
)

const (
	sectionDevices = "devices"
	typeHost       = "host"
	source         = "Microsoft Intune"
	// staleAfter is how long without a check-in makes compliance data stale.
	staleAfter = 7 * 24 * time.Hour
	// maxDevices bounds one lookup (a user rarely has more).
	maxDevices = 50
)

var devicesSpec = skill.Spec{
	ID:   "intune.GetManagedDevices",
	Name: "Intune managed devices",
	Description: "Looks up Intune managed devices by device name or by user: compliance state, last check-in (stale after " +
		"7 days), OS and version, encryption, ownership, jailbreak, management agent and partner-reported threat " +
		"state. Compromised or high-severity threat state is malicious; noncompliant or jailbroken is suspicious; " +
		"compliant and recently checked in is benign; not enrolled is unknown.",
	ModelDescription: "Get Microsoft Intune managed device details (compliance, last sync, OS, encryption, jailbreak, " +
		"threat state) for a device name or for all devices of a user principal name.",
	Examples: []string{
		"Is DESKTOP-ADELE01 compliant in Intune?",
		"When did the laptops of bob@contoso.com last check in with Intune?",
		"Show Intune compliance and threat state for host WS-HIGH",
	},
	Aliases: []string{"GetIntuneDevices"},
	Inputs: []skill.Input{
		{Name: "device", Type: skill.TypeString, Placeholder: "DESKTOP-ADELE01",
			Description: "Device name (a host's short name or FQDN); give this or user, device wins when both are given"},
		{Name: "user", Type: skill.TypeString, Placeholder: "user@contoso.com",
			Description: "User principal name whose devices to list; give this or device"},
	},
	Enriches:       []string{typeHost},
	IndicatorInput: "device",
	Section:        sectionDevices,
	CacheTTL:       time.Hour,
}

var deviceSelect = []string{"id", "deviceName", "userPrincipalName", "userDisplayName", "operatingSystem", "osVersion",
	"complianceState", "lastSyncDateTime", "enrolledDateTime", "isEncrypted", "isSupervised", "managedDeviceOwnerType",
	"jailBroken", "managementAgent", "partnerReportedThreatState", "azureADDeviceId", "model", "manufacturer",
	"serialNumber", "deviceEnrollmentType"}

// ManagedDevice is one Intune device, in Graph's property names, plus
// DaysSinceSync and Stale computed at lookup.
type ManagedDevice struct {
	ID                         string    `json:"id"`
	DeviceName                 string    `json:"deviceName"`
	UserPrincipalName          string    `json:"userPrincipalName,omitempty"`
	UserDisplayName            string    `json:"userDisplayName,omitempty"`
	OperatingSystem            string    `json:"operatingSystem,omitempty"`
	OSVersion                  string    `json:"osVersion,omitempty"`
	ComplianceState            string    `json:"complianceState"`
	LastSyncDateTime           time.Time `json:"lastSyncDateTime,omitzero"`
	EnrolledDateTime           time.Time `json:"enrolledDateTime,omitzero"`
	IsEncrypted                *bool     `json:"isEncrypted"`
	IsSupervised               *bool     `json:"isSupervised,omitempty"`
	ManagedDeviceOwnerType     string    `json:"managedDeviceOwnerType,omitempty"`
	JailBroken                 string    `json:"jailBroken,omitempty"`
	ManagementAgent            string    `json:"managementAgent,omitempty"`
	PartnerReportedThreatState string    `json:"partnerReportedThreatState,omitempty"`
	AzureADDeviceID            string    `json:"azureADDeviceId,omitempty"`
	Model                      string    `json:"model,omitempty"`
	Manufacturer               string    `json:"manufacturer,omitempty"`
	SerialNumber               string    `json:"serialNumber,omitempty"`
	DeviceEnrollmentType       string    `json:"deviceEnrollmentType,omitempty"`

	DaysSinceSync int  `json:"days_since_sync"`
	Stale         bool `json:"stale"`
}

// DeviceReport is the Data of intune.GetManagedDevices.
type DeviceReport struct {
	// Query is what was looked up: deviceName or userPrincipalName, and the value.
	Query     string          `json:"query"`
	Devices   []ManagedDevice `json:"devices"`
	Truncated bool            `json:"truncated"`
}

type devices struct {
	graph *azure.Client
	now   func() time.Time
}

// Spec implements skill.Skill.
func (s *devices) Spec() skill.Spec { return devicesSpec }

// Run looks the device up by name; an FQDN that matches nothing is tried
// again by its first label, the name Intune usually knows a device by.
func (s *devices) Run(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
	device, user := in.String("device"), in.String("user")
	field, value := "deviceName", device
	switch {
	case device != "":
	case user != "":
		field, value = "userPrincipalName", user
	default:
		return nil, &skill.InputError{Skill: devicesSpec.ID, Input: "device", Msg: "required: a device name, or a user principal name in user"}
	}
	found, more, err := s.lookup(ctx, field, value)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 && field == "deviceName" {
		if short, ok := shortName(value); ok {
			if found, more, err = s.lookup(ctx, field, short); err != nil {
				return nil, err
			}
		}
	}
	now := s.now()
	report := DeviceReport{Query: field + " " + value, Devices: []ManagedDevice{}, Truncated: more}
	res := &skill.Result{}
	for _, d := range found {
		if !d.LastSyncDateTime.IsZero() {
			age := now.Sub(d.LastSyncDateTime)
			d.DaysSinceSync, d.Stale = int(age/(24*time.Hour)), age > staleAfter
		}
		report.Devices = append(report.Devices, d)
		indicator := strings.ToLower(d.DeviceName)
		if field == "deviceName" {
			indicator = strings.ToLower(value)
		}
		res.Findings = append(res.Findings, assessDevice(indicator, d))
	}
	if len(found) == 0 && field == "deviceName" {
		res.Findings = append(res.Findings, skill.Finding{Indicator: strings.ToLower(value), Type: typeHost, Skill: devicesSpec.ID,
			Level: skill.Unknown, Source: source, Section: sectionDevices, Summary: "not enrolled in Intune",
			Reasons: []string{"no Intune managed device with this name"}})
	}
	res.Data = report
	res.Summary = summarize(report, res.Findings)
	return res, nil
}

func (s *devices) lookup(ctx context.Context, field, value string) ([]ManagedDevice, bool, error) {
	return azure.List[ManagedDevice](ctx, s.graph, azure.Request{
		Path:       "/deviceManagement/managedDevices",
		Filter:     azure.Eq(field, value),
		Select:     deviceSelect,
		Top:        maxDevices,
		What:       "Intune managed devices",
		Permission: "DeviceManagementManagedDevices.Read.All",
		License:    "an Intune license",
	}, maxDevices)
}

// shortName returns the first label of a host FQDN (not of an IP address).
func shortName(host string) (string, bool) {
	if _, err := netip.ParseAddr(host); err == nil {
		return "", false
	}
	first, _, ok := strings.Cut(host, ".")
	return first, ok && first != ""
}

func summarize(r DeviceReport, findings []skill.Finding) string {
	if len(r.Devices) == 0 {
		return "No Intune managed device for " + r.Query + "."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d Intune managed device(s) for %s:", len(r.Devices), r.Query)
	for i, d := range r.Devices {
		fmt.Fprintf(&b, "\n- **%s** (%s %s, %s): %s, last check-in %s — %s", d.DeviceName, d.OperatingSystem, d.OSVersion,
			orDash(d.UserPrincipalName), orDash(d.ComplianceState), syncText(d), findings[i].Level)
	}
	if r.Truncated {
		fmt.Fprintf(&b, "\n- Note: only the first %d devices were read", maxDevices)
	}
	return b.String()
}

func syncText(d ManagedDevice) string {
	switch {
	case d.LastSyncDateTime.IsZero():
		return "never"
	case d.DaysSinceSync == 0:
		return "today"
	case d.DaysSinceSync == 1:
		return "1 day ago"
	}
	return fmt.Sprintf("%d days ago", d.DaysSinceSync)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
