package abuseipdb

import (
	"errors"
	"strings"
	"testing"

	"github.com/spotter-soc/spotter/internal/skill"
	"github.com/spotter-soc/spotter/internal/skill/skilltest"
)

func TestCheckBlock(t *testing.T) {
	h := newHarness(t)
	res, err := h.run(CheckBlockID, map[string]any{"network": "185.220.101.47/24"})
	if err != nil {
		t.Fatal(err)
	}
	d := res.Data.(BlockReport)
	if d.Network != "185.220.101.0/24" || d.Netmask != "255.255.255.0" || d.PossibleHosts != "254" || d.ReportedCount != 1 || d.AddressesOver75 != 1 {
		t.Errorf("data: %+v", d)
	}
	if len(res.Findings) != 1 || res.Findings[0].Indicator != "185.220.101.47" || res.Findings[0].Level != skill.Malicious || res.Findings[0].Skill != CheckBlockID {
		t.Errorf("findings: %+v", res.Findings)
	}
	r := h.fake.Requests()[0]
	if r.Path != "/check-block" || !strings.Contains(r.RawQuery, "network=185.220.101.0%2F24") || r.Query.Get("maxAgeInDays") != "30" || r.Header.Get("Key") != testKey {
		t.Errorf("request: %s %s", r.Path, r.RawQuery)
	}

	res, err = h.run(CheckBlockID, map[string]any{"network": "1.1.1.0/24"})
	if err != nil || len(res.Findings) != 0 || !strings.Contains(res.Summary, "No address reported") {
		t.Errorf("clean block: %v %+v", err, res)
	}

	// a block larger than the plan allows: the provider's 422 detail
	_, err = h.run(CheckBlockID, map[string]any{"network": "185.220.0.0/16"})
	if pe := providerError(t, err); pe.Status != 422 || !strings.Contains(pe.Msg, "larger than your plan allows") {
		t.Errorf("422: %v", pe)
	}
}

func TestCheckBlockRefuses(t *testing.T) {
	h := newHarness(t)
	for _, n := range []string{"10.1.2.0/24", "192.168.0.0/16", "fc00::/64", "1.2.3.4", "nonsense"} {
		_, err := h.run(CheckBlockID, map[string]any{"network": n})
		var ie *skill.InputError
		if !errors.As(err, &ie) || ie.Input != "network" {
			t.Errorf("%s: %v", n, err)
		}
	}
	if n := len(h.fake.Requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestCheckBlockParse(t *testing.T) {
	body := `{"data":{"networkAddress":"2a0b:f4c2:2::","netmask":64,"numPossibleHosts":18446744073709551616,"addressSpaceDesc":"Internet",
	 "reportedAddress":[{"ipAddress":"2a0b:f4c2:2::1","numReports":3,"mostRecentReport":"2025-03-01T10:00:00+00:00","abuseConfidenceScore":30,"countryCode":null}]}}`
	res, err := blockResult("2a0b:f4c2:2::/64", 30, []byte(body), testKey)
	skilltest.NoLeak(t, []string{testKey}, res, err)
	if err != nil {
		t.Fatal(err)
	}
	d := res.Data.(BlockReport)
	if d.Netmask != "64" || d.PossibleHosts != "18446744073709551616" || res.Findings[0].Level != skill.Suspicious {
		t.Errorf("data %+v findings %+v", d, res.Findings)
	}
	for _, bad := range []string{`{}`, `{"data":{"netmask":{}}}`, `{"data":{"reportedAddress":[{"abuseConfidenceScore":-1}]}}`, `[`} {
		res, err := blockResult("1.2.3.0/24", 30, []byte(bad), testKey)
		skilltest.NoLeak(t, []string{testKey}, res, err)
		if err == nil {
			t.Errorf("%s accepted", bad)
		} else {
			providerError(t, err)
		}
	}
}
