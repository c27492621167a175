package virustotal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/spotter-soc/spotter/internal/plugins/provider"
)

// MaxDetections bounds how many engine detections a result lists.
const MaxDetections = 20

// Common is what every VirusTotal object report carries.
type Common struct {
	// Found is false when VirusTotal has no report on the indicator.
	Found bool `json:"found"`
	// ID is VirusTotal's object id (the SHA-256 for files and URLs).
	ID         string    `json:"id,omitempty"`
	Reputation int       `json:"reputation"` // community score; negative is bad
	Votes      Votes     `json:"votes"`
	Tags       []string  `json:"tags,omitempty"`
	Analysis   *Analysis `json:"analysis,omitempty"` // nil when never analysed
	Link       string    `json:"link"`
}

// Votes are the community's harmless and malicious votes.
type Votes struct {
	Harmless  int `json:"harmless"`
	Malicious int `json:"malicious"`
}

// Analysis is the latest multi-engine analysis of an object.
type Analysis struct {
	Date  *time.Time `json:"date,omitempty"`
	Stats Stats      `json:"stats"`
	// Engines counts the engines that gave a verdict: malicious, suspicious,
	// harmless or undetected (timeouts, failures and unsupported types excluded).
	Engines    int         `json:"engines"`
	Detections []Detection `json:"detections,omitempty"` // malicious first, then suspicious, by engine name
}

// Stats counts engine verdicts by category.
type Stats struct {
	Malicious        int `json:"malicious"`
	Suspicious       int `json:"suspicious"`
	Harmless         int `json:"harmless"`
	Undetected       int `json:"undetected"`
	Timeout          int `json:"timeout"`
	ConfirmedTimeout int `json:"confirmed_timeout,omitempty"` // files only
	TypeUnsupported  int `json:"type_unsupported,omitempty"`  // files only
	Failure          int `json:"failure,omitempty"`           // files only
}

// Detection is one engine that flagged the object.
type Detection struct {
	Engine   string `json:"engine"`
	Category string `json:"category"` // malicious or suspicious
	Result   string `json:"result,omitempty"`
}

// envelope is the JSON:API document of every object lookup.
type envelope struct {
	Data *struct {
		ID         string          `json:"id"`
		Type       string          `json:"type"`
		Attributes json.RawMessage `json:"attributes"`
	} `json:"data"`
}

// wireStats is last_analysis_stats; file keys contain hyphens.
type wireStats struct {
	Harmless         int `json:"harmless"`
	Malicious        int `json:"malicious"`
	Suspicious       int `json:"suspicious"`
	Undetected       int `json:"undetected"`
	Timeout          int `json:"timeout"`
	TypeUnsupported  int `json:"type-unsupported"`
	ConfirmedTimeout int `json:"confirmed-timeout"`
	Failure          int `json:"failure"`
}

type wireEngine struct {
	Category   string  `json:"category"`
	EngineName string  `json:"engine_name"`
	Result     *string `json:"result"`
}

// wireCommon holds the attributes every object type shares.
type wireCommon struct {
	LastAnalysisDate    unixTime              `json:"last_analysis_date"`
	LastAnalysisStats   *wireStats            `json:"last_analysis_stats"`
	LastAnalysisResults map[string]wireEngine `json:"last_analysis_results"`
	Reputation          int                   `json:"reputation"`
	TotalVotes          Votes                 `json:"total_votes"`
	Tags                []string              `json:"tags"`
}

// decode reads an object document into attrs and returns the object id.
// Anything but the documented shape is a ProviderError.
func decode(body []byte, attrs any, key string) (string, error) {
	var env envelope
	if err := json.Unmarshal(bytes.TrimSpace(body), &env); err != nil {
		return "", provider.Unexpected(Name, err, key)
	}
	if env.Data == nil {
		return "", provider.Unexpected(Name, errors.New(`no "data" object`), key)
	}
	a := bytes.TrimSpace(env.Data.Attributes)
	if len(a) == 0 || string(a) == "null" {
		a = []byte("{}")
	}
	if err := json.Unmarshal(a, attrs); err != nil {
		return "", provider.Unexpected(Name, err, key)
	}
	return provider.Clip(env.Data.ID, 100), nil
}

// common converts the shared attributes; negative counts are refused.
func common(id string, w wireCommon, link string, key string) (Common, error) {
	c := Common{Found: true, ID: id, Reputation: w.Reputation, Votes: w.TotalVotes, Link: link}
	for _, t := range w.Tags {
		if len(c.Tags) < 20 {
			c.Tags = append(c.Tags, provider.Clip(t, 60))
		}
	}
	if w.LastAnalysisStats == nil {
		return c, nil
	}
	s := w.LastAnalysisStats
	for _, n := range []int{s.Harmless, s.Malicious, s.Suspicious, s.Undetected, s.Timeout, s.TypeUnsupported, s.ConfirmedTimeout, s.Failure} {
		if n < 0 || n > 100000 {
			return c, provider.Unexpected(Name, fmt.Errorf("engine count %d in last_analysis_stats", n), key)
		}
	}
	a := &Analysis{Date: w.LastAnalysisDate.time(), Stats: Stats{
		Malicious: s.Malicious, Suspicious: s.Suspicious, Harmless: s.Harmless, Undetected: s.Undetected, Timeout: s.Timeout,
		ConfirmedTimeout: s.ConfirmedTimeout, TypeUnsupported: s.TypeUnsupported, Failure: s.Failure,
	}}
	a.Engines = s.Malicious + s.Suspicious + s.Harmless + s.Undetected
	for name, e := range w.LastAnalysisResults {
		if e.Category != "malicious" && e.Category != "suspicious" {
			continue
		}
		d := Detection{Engine: provider.Clip(provider.OrDefault(e.EngineName, name), 60), Category: e.Category}
		if e.Result != nil {
			d.Result = provider.Clip(*e.Result, 100)
		}
		a.Detections = append(a.Detections, d)
	}
	sort.Slice(a.Detections, func(i, j int) bool {
		x, y := a.Detections[i], a.Detections[j]
		if x.Category != y.Category {
			return x.Category == "malicious"
		}
		return x.Engine < y.Engine
	})
	if len(a.Detections) > MaxDetections {
		a.Detections = a.Detections[:MaxDetections]
	}
	c.Analysis = a
	return c, nil
}

// unixTime is a Unix timestamp in seconds; VirusTotal writes integers, but a
// float or null is tolerated, and a value outside 1970-5138 counts as absent.
type unixTime int64

// UnmarshalJSON implements json.Unmarshaler.
func (u *unixTime) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		*u = 0
		return nil
	}
	f, err := strconv.ParseFloat(string(bytes.TrimSpace(b)), 64)
	if err != nil {
		return fmt.Errorf("timestamp %.20q: expected Unix seconds", b)
	}
	if math.IsNaN(f) || f < 0 || f > 1e11 {
		f = 0
	}
	*u = unixTime(f)
	return nil
}

func (u unixTime) time() *time.Time {
	if u <= 0 {
		return nil
	}
	t := time.Unix(int64(u), 0).UTC()
	return &t
}
