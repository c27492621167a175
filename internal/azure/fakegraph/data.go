package fakegraph

import (
	"strings"
	"time"
)

// Object is one Graph entity as JSON: the fake serves it as is (after
// $select), so tests can put unknown enum strings, nulls or odd types in it.
type Object = map[string]any

// Dataset is what the fake Graph serves. Keys of the maps are user object ids
// (MemberOf, RegisteredDevices) or lower-case host names (Reputations).
type Dataset struct {
	Users             []Object
	MemberOf          map[string][]Object
	RegisteredDevices map[string][]Object
	SignIns           []Object
	RiskyUsers        []Object
	ManagedDevices    []Object
	Reputations       map[string]Object
}

// Object ids of the default dataset's users.
const (
	AdeleID  = "87d349ed-44d7-43e1-9a83-5f2406dee5bd"
	BobID    = "2c4b1f0e-6a3d-4e7b-9c1a-0d5e8f7a6b01"
	DollarID = "3d5c2a1f-7b4e-4f8c-8d2b-1e6f9a8b7c02"
	GuestID  = "4e6d3b2a-8c5f-4a9d-9e3c-2f7a0b9c8d03"
	QuoteID  = "5f7e4c3b-9d6a-4bae-8f4d-3a8b1c0d9e04"
)

// Role template id of Global Administrator.
const GlobalAdminTemplate = "62e90394-69f5-4237-9190-012177145e10"

// Default builds the default dataset with times relative to now:
//
//   - AdeleV@contoso.com: enabled, Global Administrator, four groups (the
//     memberships span pages), two registered devices, nine sign-ins in the
//     last 72 hours (five failed from NG and RU, two risky, one blocked by
//     Conditional Access) plus one older;
//   - bob@contoso.com: disabled, one group, no sign-ins;
//   - $svc-backup@contoso.com (a UPN starting with $),
//     partner_fabrikam.com#EXT#@contoso.onmicrosoft.com (a B2B guest) and
//     o'brien@contoso.com (a quote in the UPN);
//   - risky users at every risk level and state, one with enum values Graph
//     does not document yet;
//   - managed devices: compliant, noncompliant and stale, jailbroken,
//     compromised, high severity, and an unknown compliance state;
//   - host reputations for malicious, suspicious, neutral, unknown and
//     undocumented classifications.
func Default(now time.Time) *Dataset {
	now = now.UTC()
	ago := func(d time.Duration) string { return now.Add(-d).Format("2006-01-02T15:04:05.0000000Z") }
	d := &Dataset{
		Users: []Object{
			user(AdeleID, "AdeleV@contoso.com", "Adele Vance", true, "Finance", "Retail Manager", "Member", false),
			user(BobID, "bob@contoso.com", "Bob Kelly", false, "Sales", "Account Executive", "Member", true),
			user(DollarID, "$svc-backup@contoso.com", "Backup service", true, "IT", "", "Member", false),
			user(GuestID, "partner_fabrikam.com#EXT#@contoso.onmicrosoft.com", "Partner (Fabrikam)", true, "", "", "Guest", false),
			user(QuoteID, "o'brien@contoso.com", "Pat O'Brien", true, "Legal", "Counsel", "Member", false),
		},
		MemberOf: map[string][]Object{
			AdeleID: {
				group("c11b732b-0000-4000-8000-000000000001", "All Users", true, false),
				group("c11b732b-0000-4000-8000-000000000002", "Finance Team", true, true),
				role("0f4b1c2d-0000-4000-8000-000000000003", "Global Administrator", GlobalAdminTemplate),
				group("c11b732b-0000-4000-8000-000000000004", "VPN Users", true, false),
				{"@odata.type": "#microsoft.graph.administrativeUnit", "id": "a0a0a0a0-0000-4000-8000-000000000005", "displayName": "EMEA"},
				group("c11b732b-0000-4000-8000-000000000006", "Project Falcon", false, true),
			},
			BobID: {group("c11b732b-0000-4000-8000-000000000001", "All Users", true, false)},
		},
		RegisteredDevices: map[string][]Object{
			AdeleID: {
				{"@odata.type": "#microsoft.graph.device", "id": "d0000000-0000-4000-8000-000000000001", "deviceId": "a7b8c9d0-0000-4000-8000-0000000000d1",
					"displayName": "DESKTOP-ADELE01", "operatingSystem": "Windows", "operatingSystemVersion": "10.0.22631.4037", "trustType": "AzureAd",
					"isCompliant": true, "isManaged": true, "accountEnabled": true, "approximateLastSignInDateTime": ago(3 * time.Hour), "registrationDateTime": ago(400 * 24 * time.Hour)},
				{"@odata.type": "#microsoft.graph.device", "id": "d0000000-0000-4000-8000-000000000002", "deviceId": "a7b8c9d0-0000-4000-8000-0000000000d2",
					"displayName": "Adele's iPhone", "operatingSystem": "iOS", "operatingSystemVersion": "17.5.1", "trustType": "Workplace",
					"isCompliant": nil, "isManaged": nil, "accountEnabled": true, "approximateLastSignInDateTime": ago(30 * time.Hour), "registrationDateTime": ago(90 * 24 * time.Hour)},
			},
		},
		SignIns: []Object{
			signIn("s01", ago(1*time.Hour), AdeleID, "AdeleV@contoso.com", "131.107.159.37", "US", "Redmond", 0, "", "none", "none", "success", "Office 365 Exchange Online"),
			signIn("s02", ago(2*time.Hour), AdeleID, "AdeleV@contoso.com", "131.107.159.37", "US", "Redmond", 0, "", "none", "none", "notApplied", "Microsoft Teams"),
			signIn("s03", ago(5*time.Hour), AdeleID, "AdeleV@contoso.com", "102.89.34.12", "NG", "Lagos", 50126, "Error validating credentials due to invalid username or password.", "none", "none", "notApplied", "Azure Portal"),
			signIn("s04", ago(5*time.Hour+time.Minute), AdeleID, "AdeleV@contoso.com", "102.89.34.12", "NG", "Lagos", 50126, "Error validating credentials due to invalid username or password.", "none", "none", "notApplied", "Azure Portal"),
			signIn("s05", ago(5*time.Hour+2*time.Minute), AdeleID, "AdeleV@contoso.com", "102.89.34.12", "NG", "Lagos", 50126, "Error validating credentials due to invalid username or password.", "none", "none", "notApplied", "Azure Portal"),
			signIn("s06", ago(6*time.Hour), AdeleID, "AdeleV@contoso.com", "185.220.101.4", "RU", "Moscow", 50053, "Account is locked because user tried to sign in too many times with an incorrect user ID or password.", "medium", "atRisk", "notApplied", "Azure Portal"),
			signIn("s07", ago(6*time.Hour+time.Minute), AdeleID, "AdeleV@contoso.com", "185.220.101.4", "RU", "Moscow", 53003, "Access has been blocked by Conditional Access policies.", "high", "atRisk", "failure", "Azure Portal"),
			signIn("s08", ago(20*time.Hour), AdeleID, "AdeleV@contoso.com", "131.107.159.37", "US", "Redmond", 0, "", "none", "none", "success", "Microsoft Teams"),
			signIn("s09", ago(50*time.Hour), AdeleID, "AdeleV@contoso.com", "131.107.159.37", "US", "Redmond", 0, "", "hidden", "none", "success", "Office 365 SharePoint Online"),
			signIn("s10", ago(100*time.Hour), AdeleID, "AdeleV@contoso.com", "131.107.159.37", "US", "Redmond", 0, "", "none", "none", "success", "Microsoft Teams"),
			signIn("s11", ago(2*time.Hour), QuoteID, "o'brien@contoso.com", "131.107.159.40", "US", "Seattle", 0, "", "none", "none", "success", "Microsoft Teams"),
		},
		RiskyUsers: []Object{
			risky(AdeleID, "AdeleV@contoso.com", "high", "atRisk", "none", ago(5*time.Hour)),
			risky("6a000000-0000-4000-8000-000000000001", "megan@contoso.com", "medium", "atRisk", "none", ago(30*time.Hour)),
			risky("6a000000-0000-4000-8000-000000000002", "lee@contoso.com", "low", "atRisk", "none", ago(80*time.Hour)),
			risky(BobID, "bob@contoso.com", "none", "remediated", "userPerformedSecuredPasswordReset", ago(200*time.Hour)),
			risky("6a000000-0000-4000-8000-000000000003", "alex@contoso.com", "high", "confirmedCompromised", "adminConfirmedUserCompromised", ago(2*time.Hour)),
			risky("6a000000-0000-4000-8000-000000000004", "pat@contoso.com", "none", "dismissed", "adminDismissedAllRiskForUser", ago(300*time.Hour)),
			risky("6a000000-0000-4000-8000-000000000005", "ghost@contoso.com", "severe", "underInvestigation", "someFutureDetail", ago(1*time.Hour)),
			risky("6a000000-0000-4000-8000-000000000006", "hidden@contoso.com", "hidden", "atRisk", "hidden", ago(10*time.Hour)),
		},
		ManagedDevices: []Object{
			managed("m01", "DESKTOP-ADELE01", "AdeleV@contoso.com", "Windows", "10.0.22631.4037", "compliant", ago(6*time.Hour), "False", true, "company", "mdm", "secured"),
			managed("m02", "Adele's iPhone", "AdeleV@contoso.com", "iOS", "17.5.1", "inGracePeriod", ago(26*time.Hour), "False", true, "personal", "mdm", "unknown"),
			managed("m03", "LAPTOP-BOB", "bob@contoso.com", "Windows", "10.0.19045.4651", "noncompliant", ago(12*24*time.Hour), "False", false, "company", "intuneClient", "unknown"),
			managed("m04", "iPhone-Megan", "megan@contoso.com", "iOS", "16.1", "compliant", ago(4*time.Hour), "True", true, "personal", "mdm", "unknown"),
			managed("m05", "DESKTOP-INFECTED", "lee@contoso.com", "Windows", "10.0.22631.4037", "compliant", ago(2*time.Hour), "False", true, "company", "mdm", "compromised"),
			managed("m06", "WS-HIGH", "alex@contoso.com", "Windows", "10.0.22631.4037", "compliant", ago(2*time.Hour), "False", true, "company", "mdm", "highSeverity"),
			managed("m07", "WS-ODD", "ghost@contoso.com", "Linux", "Ubuntu 24.04", "quantumState", ago(2*time.Hour), "Unknown", false, "unknown", "someNewAgent", "someNewThreatState"),
			managed("m08", "WS-STALE", "pat@contoso.com", "Windows", "10.0.22631.4037", "compliant", ago(30*24*time.Hour), "False", true, "company", "mdm", "unknown"),
		},
		Reputations: map[string]Object{
			"evil.example": reputation("malicious", 100,
				rule("Microsoft Defender Threat Intelligence Intel Article", "Activity Snapshot: phishing kit hosting", "high", "https://ti.defender.microsoft.com/article/831b70a4"),
				rule("Name server", "Domain is using a name server that has been associated with suspicious behavior", "medium", nil)),
			"203.0.113.66": reputation("suspicious", 55,
				rule("Open ports", "Host exposes services often used by command-and-control frameworks", "medium", "https://ti.defender.microsoft.com/search?query=203.0.113.66")),
			"contoso.com":     reputation("neutral", 0),
			"unknown.example": reputation("unknown", 0),
			"odd.example":     reputation("unknownFutureValue", 20, rule("New rule", "A rule of a kind not documented yet", "critical", nil)),
			"2001:db8::bad:1": reputation("malicious", 90, rule("Botnet", "Address seen in botnet traffic", "high", nil)),
		},
	}
	return d
}

func user(id, upn, name string, enabled bool, dept, title, userType string, synced bool) Object {
	mail := any(strings.ToLower(upn))
	if userType == "Guest" {
		mail = nil
	}
	return Object{
		"id": id, "userPrincipalName": upn, "displayName": name, "mail": mail, "accountEnabled": enabled,
		"department": dept, "jobTitle": title, "userType": userType, "onPremisesSyncEnabled": synced,
		"createdDateTime": "2021-03-14T09:26:53Z", "lastPasswordChangeDateTime": "2025-11-02T08:00:00Z",
		"usageLocation": "US", "officeLocation": "18/2111", "companyName": "Contoso", "givenName": strings.Fields(name)[0],
		"surname": "", "businessPhones": []string{}, "mobilePhone": nil, "preferredLanguage": "en-US",
		"onPremisesSamAccountName": nil,
	}
}

func group(id, name string, security, mailEnabled bool) Object {
	groupTypes := []string{}
	if mailEnabled {
		groupTypes = []string{"Unified"}
	}
	return Object{"@odata.type": "#microsoft.graph.group", "id": id, "displayName": name, "securityEnabled": security,
		"mailEnabled": mailEnabled, "groupTypes": groupTypes, "mail": nil}
}

func role(id, name, template string) Object {
	return Object{"@odata.type": "#microsoft.graph.directoryRole", "id": id, "displayName": name, "roleTemplateId": template,
		"description": "Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities."}
}

func signIn(id, at, userID, upn, ip, country, city string, code int, reason, risk, riskState, ca, app string) Object {
	var failure any
	if reason != "" {
		failure = reason
	}
	return Object{
		"id": id, "createdDateTime": at, "userDisplayName": "", "userPrincipalName": upn, "userId": userID,
		"appId": "de8bc8b5-d9f9-48b1-a8ad-b748da725064", "appDisplayName": app, "ipAddress": ip, "clientAppUsed": "Browser",
		"correlationId": "d79f5bee-0000-4000-8000-" + strings.Repeat("0", 9) + id, "conditionalAccessStatus": ca, "isInteractive": true,
		"riskDetail": "none", "riskLevelAggregated": risk, "riskLevelDuringSignIn": risk, "riskState": riskState,
		"riskEventTypes": []string{}, "riskEventTypes_v2": []string{}, "resourceDisplayName": "Microsoft Graph",
		"resourceId":   "00000003-0000-0000-c000-000000000000",
		"status":       Object{"errorCode": code, "failureReason": failure, "additionalDetails": nil},
		"deviceDetail": Object{"deviceId": "", "displayName": nil, "operatingSystem": "Windows 10", "browser": "Edge 120.0.0", "isCompliant": nil, "isManaged": nil, "trustType": nil},
		"location":     Object{"city": city, "state": nil, "countryOrRegion": country, "geoCoordinates": Object{"altitude": nil, "latitude": 47.68, "longitude": -122.12}},
		"appliedConditionalAccessPolicies": []Object{{"id": "ca-01", "displayName": "Require MFA for admins", "enforcedGrantControls": []string{"Mfa"},
			"enforcedSessionControls": []string{}, "result": map[bool]string{true: "failure", false: "notApplied"}[ca == "failure"]}},
	}
}

func risky(id, upn, level, state, detail, updated string) Object {
	return Object{"@odata.type": "#microsoft.graph.riskyUser", "id": id, "isDeleted": false, "isProcessing": false,
		"riskLastUpdatedDateTime": updated, "riskLevel": level, "riskState": state, "riskDetail": detail,
		"userDisplayName": strings.Split(upn, "@")[0], "userPrincipalName": upn}
}

func managed(id, name, upn, os, version, compliance, lastSync, jailbroken string, encrypted bool, owner, agent, threat string) Object {
	return Object{
		"@odata.type": "#microsoft.graph.managedDevice", "id": id, "userId": "", "deviceName": name,
		"managedDeviceOwnerType": owner, "enrolledDateTime": "2024-01-10T10:00:00Z", "lastSyncDateTime": lastSync,
		"operatingSystem": os, "osVersion": version, "complianceState": compliance, "jailBroken": jailbroken,
		"managementAgent": agent, "azureADRegistered": true, "azureADDeviceId": "a7b8c9d0-0000-4000-8000-0000000000" + id[1:],
		"deviceEnrollmentType": "windowsAzureADJoin", "deviceRegistrationState": "registered", "isEncrypted": encrypted,
		"isSupervised": false, "userPrincipalName": upn, "userDisplayName": strings.Split(upn, "@")[0], "emailAddress": upn,
		"model": "Surface Laptop 5", "manufacturer": "Microsoft Corporation", "serialNumber": "SN-" + id,
		"totalStorageSpaceInBytes": int64(256060514304), "freeStorageSpaceInBytes": int64(102400000000),
		"managedDeviceName": upn + "_" + os, "partnerReportedThreatState": threat,
	}
}

func reputation(class string, score int, rules ...Object) Object {
	if rules == nil {
		rules = []Object{}
	}
	return Object{"@odata.type": "#microsoft.graph.security.hostReputation", "id": "1e3b9ded-abb6-1828-c4ef-a5ca48b287a0",
		"classification": class, "score": score, "rules": rules}
}

func rule(name, description, severity string, link any) Object {
	return Object{"name": name, "description": description, "severity": severity, "relatedDetailsUrl": link}
}
