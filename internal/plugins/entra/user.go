package entra

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/spotter-soc/spotter/internal/azure"
	"github.com/spotter-soc/spotter/internal/skill"
)

var userDetailsSpec = skill.Spec{
	ID:   "entra.GetUserDetails",
	Name: "Entra ID user details",
	Description: "Looks up a Microsoft Entra ID user: profile (enabled, department, job title, type, on-premises sync, " +
		"password age), group and directory role memberships, registered devices, and sign-ins of the last hours " +
		"with status, location, risk, app, IP, device and Conditional Access. Flags disabled accounts, privileged " +
		"roles, many failed sign-ins, sign-ins from several countries and risky sign-ins.",
	ModelDescription: "Get a Microsoft Entra ID (Azure AD) user's profile, groups, admin roles, registered devices and recent " +
		"sign-in activity (failures, countries, IPs, apps, risk). Use for questions about an account or user principal name.",
	Examples: []string{
		"Get the Entra ID details and recent sign-ins of AdeleV@contoso.com",
		"Is bob@contoso.com a Global Administrator, and where did he sign in from in the last 24 hours?",
		"Show failed sign-ins for user 87d349ed-44d7-43e1-9a83-5f2406dee5bd",
	},
	Aliases: []string{"GetEntraUserDetailsV1"},
	Inputs: []skill.Input{
		{Name: "user", Type: skill.TypeString, Required: true, Placeholder: "user@contoso.com",
			Description: "User principal name (user@contoso.com) or Entra object id"},
		{Name: "signin_hours", Type: skill.TypeInteger, Default: 72, Min: skill.Int(1), Max: skill.Int(720),
			Description: "How many hours of sign-ins to read (sign-in logs are kept 30 days)"},
		{Name: "max_signins", Type: skill.TypeInteger, Default: 50, Min: skill.Int(1), Max: skill.Int(1000),
			Description: "Most sign-ins to read, newest first"},
	},
	Enriches:       []string{typeAccount},
	IndicatorInput: "user",
	Section:        sectionAccounts,
	CacheTTL:       15 * time.Minute,
}

// userSelect is the profile read with $select (most are not returned by default).
var userSelect = []string{"id", "displayName", "userPrincipalName", "mail", "accountEnabled", "department", "jobTitle",
	"companyName", "officeLocation", "usageLocation", "userType", "createdDateTime", "onPremisesSyncEnabled",
	"onPremisesSamAccountName", "lastPasswordChangeDateTime"}

// User is the profile part of the result, in Graph's property names.
type User struct {
	ID                         string    `json:"id"`
	DisplayName                string    `json:"displayName"`
	UserPrincipalName          string    `json:"userPrincipalName"`
	Mail                       string    `json:"mail,omitempty"`
	AccountEnabled             *bool     `json:"accountEnabled"`
	Department                 string    `json:"department,omitempty"`
	JobTitle                   string    `json:"jobTitle,omitempty"`
	CompanyName                string    `json:"companyName,omitempty"`
	OfficeLocation             string    `json:"officeLocation,omitempty"`
	UsageLocation              string    `json:"usageLocation,omitempty"`
	UserType                   string    `json:"userType,omitempty"`
	CreatedDateTime            time.Time `json:"createdDateTime,omitzero"`
	OnPremisesSyncEnabled      *bool     `json:"onPremisesSyncEnabled"`
	OnPremisesSamAccountName   string    `json:"onPremisesSamAccountName,omitempty"`
	LastPasswordChangeDateTime time.Time `json:"lastPasswordChangeDateTime,omitzero"`
}

// Group is a group the user is a direct member of.
type Group struct {
	ID              string   `json:"id"`
	DisplayName     string   `json:"displayName"`
	SecurityEnabled *bool    `json:"securityEnabled,omitempty"`
	MailEnabled     *bool    `json:"mailEnabled,omitempty"`
	GroupTypes      []string `json:"groupTypes,omitempty"`
}

// Role is a directory role the user holds.
type Role struct {
	ID             string `json:"id"`
	DisplayName    string `json:"displayName"`
	RoleTemplateID string `json:"roleTemplateId,omitempty"`
	Privileged     bool   `json:"privileged"`
}

// Membership is any other directory object the user belongs to (administrative units).
type Membership struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	DisplayName string `json:"displayName"`
}

// RegisteredDevice is a device registered to the user in Entra ID.
type RegisteredDevice struct {
	ID                            string    `json:"id"`
	DeviceID                      string    `json:"deviceId,omitempty"`
	DisplayName                   string    `json:"displayName"`
	OperatingSystem               string    `json:"operatingSystem,omitempty"`
	OperatingSystemVersion        string    `json:"operatingSystemVersion,omitempty"`
	TrustType                     string    `json:"trustType,omitempty"`
	IsCompliant                   *bool     `json:"isCompliant"`
	IsManaged                     *bool     `json:"isManaged"`
	AccountEnabled                *bool     `json:"accountEnabled"`
	ApproximateLastSignInDateTime time.Time `json:"approximateLastSignInDateTime,omitzero"`
	RegistrationDateTime          time.Time `json:"registrationDateTime,omitzero"`
}

// UserDetails is the Data of entra.GetUserDetails. A part that could not be
// read (see Notes) is nil; a part that is empty is an empty list.
type UserDetails struct {
	User              User               `json:"user"`
	Groups            []Group            `json:"groups"`
	Roles             []Role             `json:"roles"`
	OtherMemberships  []Membership       `json:"other_memberships,omitempty"`
	RegisteredDevices []RegisteredDevice `json:"registered_devices"`
	SignIns           *SignInReport      `json:"sign_ins"`
	// Notes say what could not be read and why, or what was cut short.
	Notes []string `json:"notes,omitempty"`
}

// directoryObject is one item of memberOf.
type directoryObject struct {
	Type string `json:"@odata.type"`
	Group
	RoleTemplateID string `json:"roleTemplateId"`
}

type userDetails struct {
	graph *azure.Client
	now   func() time.Time
}

// Spec implements skill.Skill.
func (s *userDetails) Spec() skill.Spec { return userDetailsSpec }

// Run reads the profile first (a missing user fails the skill), then the
// memberships, devices and sign-ins in parallel by object id. A 403 on any
// of those three (a missing permission or license) leaves that part out with
// a note instead of failing the whole lookup.
func (s *userDetails) Run(ctx context.Context, in skill.Inputs) (*skill.Result, error) {
	input := in.String("user")
	if input == "" {
		return nil, &skill.InputError{Skill: userDetailsSpec.ID, Input: "user", Msg: "required: a user principal name or object id"}
	}
	var d UserDetails
	err := s.graph.Get(ctx, azure.Request{Path: azure.UserPath(input), Select: userSelect,
		What: "the user " + input, Permission: "User.Read.All"}, &d.User)
	if err != nil {
		return nil, err
	}
	if d.User.ID == "" {
		return nil, &skill.ProviderError{Provider: Name, Code: "malformed_response", Msg: "Microsoft Graph returned the user " + input + " without an id"}
	}
	hours, limit := in.Int("signin_hours"), in.Int("max_signins")
	if hours <= 0 {
		hours = 72
	}
	if limit <= 0 {
		limit = 50
	}
	userPath := azure.UserPath(d.User.ID)

	var (
		wg                         sync.WaitGroup
		members                    []directoryObject
		devices                    []RegisteredDevice
		report                     *SignInReport
		moreMembers, moreDevices   bool
		errMembers, errDev, errSig error
	)
	wg.Go(func() {
		members, moreMembers, errMembers = azure.List[directoryObject](ctx, s.graph, azure.Request{
			Path: userPath + "/memberOf", Top: 100, What: "group memberships", Permission: "GroupMember.Read.All"}, 0)
	})
	wg.Go(func() {
		devices, moreDevices, errDev = azure.List[RegisteredDevice](ctx, s.graph, azure.Request{
			Path: userPath + "/registeredDevices", What: "registered devices", Permission: "Device.Read.All"}, 0)
	})
	wg.Go(func() { report, errSig = readSignIns(ctx, s.graph, d.User.ID, s.now(), hours, limit) })
	wg.Wait()

	for _, part := range []struct {
		err  error
		what string
	}{{errMembers, "group and role memberships"}, {errDev, "registered devices"}, {errSig, "sign-ins"}} {
		if part.err == nil {
			continue
		}
		var pe *skill.ProviderError
		if !errors.As(part.err, &pe) || pe.Status != 403 {
			return nil, part.err
		}
		d.Notes = append(d.Notes, part.what+" not included: "+pe.Msg)
	}
	if errMembers == nil {
		d.Groups, d.Roles, d.OtherMemberships = splitMemberships(members)
	}
	if errDev == nil {
		d.RegisteredDevices = devices
		if d.RegisteredDevices == nil {
			d.RegisteredDevices = []RegisteredDevice{}
		}
	}
	d.SignIns = report
	if moreMembers {
		d.Notes = append(d.Notes, "memberships cut short after the first pages")
	}
	if moreDevices {
		d.Notes = append(d.Notes, "registered devices cut short after the first pages")
	}
	if report != nil && report.Truncated {
		d.Notes = append(d.Notes, "more sign-ins exist than max_signins; the oldest were not read")
	}

	f := assessAccount(strings.ToLower(input), d)
	res := &skill.Result{Data: d, Summary: summarizeUser(d), Findings: []skill.Finding{f}}
	if s.graph.Host() == "graph.microsoft.com" {
		link := userLink(d.User.ID)
		res.Links = []string{link}
		res.Findings[0].Link = link
	}
	return res, nil
}

// splitMemberships sorts memberOf items into groups, directory roles and
// anything else.
func splitMemberships(items []directoryObject) (groups []Group, roles []Role, other []Membership) {
	groups, roles = []Group{}, []Role{}
	for _, it := range items {
		switch strings.TrimPrefix(it.Type, "#") {
		case "microsoft.graph.group":
			groups = append(groups, it.Group)
		case "microsoft.graph.directoryRole":
			roles = append(roles, Role{ID: it.ID, DisplayName: it.DisplayName, RoleTemplateID: it.RoleTemplateID,
				Privileged: isPrivilegedRole(it.DisplayName, it.RoleTemplateID)})
		default:
			other = append(other, Membership{Type: strings.TrimPrefix(it.Type, "#microsoft.graph."), ID: it.ID, DisplayName: it.DisplayName})
		}
	}
	return groups, roles, other
}

// userLink is the Entra admin center page of a user (public cloud only).
func userLink(id string) string {
	return "https://entra.microsoft.com/#view/Microsoft_AAD_UsersAndTenants/UserProfileMenuBlade/~/overview/userId/" + url.PathEscape(id)
}
