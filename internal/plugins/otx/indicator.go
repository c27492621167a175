package otx

import (
	"fmt"
	"net/url"

	"golang.org/x/net/publicsuffix"

	"github.com/spotter-soc/spotter/internal/ioc"
	"github.com/spotter-soc/spotter/internal/plugins/provider"
	"github.com/spotter-soc/spotter/internal/skill"
)

// The {type} path segments of the indicators API (case-sensitive).
const (
	TypeIPv4     = "IPv4"
	TypeIPv6     = "IPv6"
	TypeDomain   = "domain"
	TypeHostname = "hostname"
	TypeURL      = "url"
	TypeFile     = "file" // MD5, SHA-1 and SHA-256 alike
)

// target is a classified indicator.
type target struct {
	value   string // normalised
	otxType string // the {type} path segment
	kind    string // the finding type: ip, domain, url or hash
}

// detect classifies the indicator input. A registrable domain
// (example.co.uk) is an OTX "domain", a name below one (cdn.example.co.uk)
// a "hostname". Private and reserved addresses are refused before any call.
func detect(raw string) (target, error) {
	refuse := func(msg string) (target, error) {
		return target{}, &skill.InputError{Skill: IndicatorReputationID, Input: "indicator", Msg: msg}
	}
	t, v, ok := ioc.Classify(raw)
	if !ok {
		return refuse(fmt.Sprintf("%q: expected an IP address, domain, host name, URL or MD5, SHA-1 or SHA-256 hash", provider.Clip(raw, 80)))
	}
	switch t {
	case ioc.TypeIPv4, ioc.TypeIPv6:
		a, _ := ioc.ParseIP(v)
		if c := ioc.ClassifyIP(a); !c.Public {
			return refuse(fmt.Sprintf("%s is a %s address (%s): OTX only knows public addresses, so it was not sent", v, c.Range, c.Prefix))
		}
		if t == ioc.TypeIPv4 {
			return target{v, TypeIPv4, "ip"}, nil
		}
		return target{v, TypeIPv6, "ip"}, nil
	case ioc.TypeDomain:
		if reg, err := publicsuffix.EffectiveTLDPlusOne(v); err == nil && reg != v {
			return target{v, TypeHostname, "domain"}, nil
		}
		return target{v, TypeDomain, "domain"}, nil
	case ioc.TypeURL:
		return target{v, TypeURL, "url"}, nil
	case ioc.TypeMD5, ioc.TypeSHA1, ioc.TypeSHA256:
		return target{v, TypeFile, "hash"}, nil
	}
	return refuse(fmt.Sprintf("%s is a %s: OTX reputation covers IP addresses, domains, host names, URLs and file hashes", v, t))
}

// link is the OTX page of an indicator.
func (t target) link() string {
	typ := t.otxType
	if t.kind == "ip" {
		typ = "ip"
	}
	return GUI + "/indicator/" + typ + "/" + url.PathEscape(t.value)
}
