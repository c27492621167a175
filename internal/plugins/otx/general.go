package otx

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"time"

	"github.com/spotter-soc/spotter/internal/plugins/provider"
)

// generalDoc is the general section of an indicator.
type generalDoc struct {
	Indicator string     `json:"indicator"`
	Type      string     `json:"type"`
	PulseInfo *pulseInfo `json:"pulse_info"`
	// Validation is non-empty when OTX allowlists the indicator.
	Validation    []validation      `json:"validation"`
	FalsePositive []json.RawMessage `json:"false_positive"`
	ASN           string            `json:"asn"`
	CountryCode   string            `json:"country_code"`
	CountryName   string            `json:"country_name"`
}

type pulseInfo struct {
	Count   number  `json:"count"`
	Pulses  []pulse `json:"pulses"`
	Related *struct {
		AlienVault relatedSet `json:"alienvault"`
		Other      relatedSet `json:"other"`
	} `json:"related"`
}

type relatedSet struct {
	Adversary       nameList `json:"adversary"`
	MalwareFamilies nameList `json:"malware_families"`
}

type pulse struct {
	ID              string   `json:"id"`
	Name            string   `json:"name"`
	Created         string   `json:"created"`
	Modified        string   `json:"modified"`
	Tags            []string `json:"tags"`
	TLP             string   `json:"TLP"`
	Adversary       string   `json:"adversary"`
	MalwareFamilies nameList `json:"malware_families"`
	AttackIDs       nameList `json:"attack_ids"`
	Author          *struct {
		Username string `json:"username"`
	} `json:"author"`
}

type validation struct {
	Source  string `json:"source"`
	Message string `json:"message"`
	Name    string `json:"name"`
}

// nameList reads a list whose items are names or objects naming something
// ({"id":..,"display_name":..}), as malware_families and attack_ids are
// written in different answers; null is an empty list.
type nameList []string

// UnmarshalJSON implements json.Unmarshaler.
func (n *nameList) UnmarshalJSON(b []byte) error {
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return err
	}
	*n = nil
	for _, it := range items {
		var s string
		if json.Unmarshal(it, &s) == nil {
			if s != "" {
				*n = append(*n, s)
			}
			continue
		}
		var o struct {
			DisplayName string `json:"display_name"`
			Name        string `json:"name"`
			ID          any    `json:"id"`
		}
		if err := json.Unmarshal(it, &o); err != nil {
			return errors.New("expected names or objects with a display_name")
		}
		name := o.DisplayName
		if name == "" {
			name = o.Name
		}
		if id, ok := o.ID.(string); name == "" && ok {
			name = id
		}
		if name != "" {
			*n = append(*n, name)
		}
	}
	return nil
}

// number accepts a JSON number, a numeric string or null.
type number int

// UnmarshalJSON implements json.Unmarshaler.
func (n *number) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(bytes.TrimSpace(b), `"`))
	if s == "null" || s == "" {
		*n = 0
		return nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 1e9 {
		return errors.New("expected a count")
	}
	*n = number(f)
	return nil
}

// decodeGeneral reads a 200 general document.
func decodeGeneral(body []byte, key string) (*generalDoc, error) {
	var d generalDoc
	b := bytes.TrimSpace(body)
	if len(b) == 0 || b[0] != '{' {
		return nil, provider.Unexpected(Name, errors.New("expected a JSON object"), key)
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, provider.Unexpected(Name, err, key)
	}
	return &d, nil
}

// parseTime reads OTX timestamps ("2025-08-30T19:30:19.932000", no zone,
// UTC); nil when absent or unreadable.
func parseTime(s string) *time.Time {
	for _, layout := range []string{"2006-01-02T15:04:05.999999999", time.RFC3339Nano, "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			t = t.UTC()
			return &t
		}
	}
	return nil
}
