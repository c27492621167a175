package intune

import (
	"fmt"
	"strings"

	"github.com/spotter-soc/spotter/internal/skill"
)

// assessDevice judges one managed device:
//
//   - partner-reported threat state compromised → malicious 90, highSeverity →
//     malicious 80, mediumSeverity → suspicious 60, lowSeverity → suspicious 35;
//   - jailbroken ("True"; the property is a string) → suspicious 70;
//   - noncompliant → suspicious 50;
//   - otherwise compliant and checked in within 7 days → benign;
//   - anything else (stale, grace period, conflict, error, unknown or a
//     state this version does not know) → unknown.
//
// Stale check-ins, missing encryption and unusual states are reasons.
func assessDevice(indicator string, d ManagedDevice) skill.Finding {
	f := skill.Finding{Indicator: indicator, Type: typeHost, Skill: devicesSpec.ID, Source: source, Section: sectionDevices, Level: skill.Unknown}
	raise := func(l skill.Level, score int, reason string) {
		switch {
		case l.Rank() > f.Level.Rank():
			f.Level, f.Score = l, score
		case l == f.Level:
			f.Score = max(f.Score, score)
		}
		f.Reasons = append(f.Reasons, reason)
	}
	note := func(reason string) { f.Reasons = append(f.Reasons, reason) }

	switch threat := d.PartnerReportedThreatState; strings.ToLower(threat) {
	case "compromised":
		raise(skill.Malicious, 90, "mobile threat defense partner reports the device compromised")
	case "highseverity":
		raise(skill.Malicious, 80, "mobile threat defense partner reports a high-severity threat")
	case "mediumseverity":
		raise(skill.Suspicious, 60, "mobile threat defense partner reports a medium-severity threat")
	case "lowseverity":
		raise(skill.Suspicious, 35, "mobile threat defense partner reports a low-severity threat")
	case "unresponsive":
		note("mobile threat defense partner agent is unresponsive")
	case "misconfigured":
		note("mobile threat defense partner agent is misconfigured")
	case "", "unknown", "activated", "deactivated", "secured":
	default:
		note(fmt.Sprintf("unrecognised partner threat state %q", threat))
	}
	if strings.EqualFold(strings.TrimSpace(d.JailBroken), "true") {
		raise(skill.Suspicious, 70, "device is jailbroken or rooted")
	}
	compliant := false
	switch state := d.ComplianceState; strings.ToLower(state) {
	case "compliant":
		compliant = true
	case "noncompliant":
		raise(skill.Suspicious, 50, "device is not compliant with Intune policy")
	case "ingraceperiod":
		note("device is noncompliant but within its grace period")
	case "conflict", "error":
		note("compliance evaluation reported " + state)
	case "", "unknown":
		note("compliance state unknown")
	case "configmanager":
		note("compliance is managed by Configuration Manager")
	default:
		note(fmt.Sprintf("unrecognised compliance state %q", state))
	}
	switch {
	case d.LastSyncDateTime.IsZero():
		note("never checked in")
	case d.Stale:
		note(fmt.Sprintf("last check-in %d days ago (stale after 7)", d.DaysSinceSync))
	}
	if d.IsEncrypted != nil && !*d.IsEncrypted {
		note("storage is not encrypted")
	}
	if f.Level == skill.Unknown && compliant && !d.Stale && !d.LastSyncDateTime.IsZero() {
		f.Level = skill.Benign
	}
	f.Summary = fmt.Sprintf("%s, %s %s, %s, last check-in %s", d.DeviceName, d.OperatingSystem, d.OSVersion, orDash(d.ComplianceState), syncText(d))
	return f
}
