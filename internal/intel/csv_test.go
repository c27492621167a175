package intel

import (
	"strings"
	"testing"
	"time"
)

// urlhausOnline is the shape of URLhaus's csv_online export: a commented
// header, quoted fields.
const urlhausOnline = `################################################################
# abuse.ch URLhaus Database Dump (CSV - online URLs only)      #
################################################################
#
# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter
"3100001","2026-11-19 10:04:07","http://198.51.100.20/bins/x86","online","2026-11-19 10:04:07","malware_download","elf,mozi","https://urlhaus.abuse.ch/url/3100001/","reporter1"
"3100002","2026-11-18 08:00:00","https://evil.example.com/load.ps1","online","2026-11-19 09:00:00","malware_download","ps1","https://urlhaus.abuse.ch/url/3100002/","reporter2"
`

// threatfoxRecent follows ThreatFox's CSV export: ", " separated fields.
const threatfoxRecent = `# ThreatFox IOCs: CSV export
# "first_seen_utc","ioc_id","ioc_value","ioc_type","threat_type","fk_malware","malware_alias","malware_printable","last_seen_utc","confidence_level","reference","tags","anonymous","reporter"
"2026-11-19 10:06:07", "1400001", "198.51.100.30:443", "ip:port", "botnet_cc", "win.cobalt_strike", "Agentemis", "Cobalt Strike", "", "100", "", "c2,CobaltStrike", "0", "abuse_ch"
"2026-11-19 11:00:00", "1400002", "evil-panel.example.net", "domain", "botnet_cc", "win.remcos", "", "Remcos", "", "75", "https://example.org/report", "None", "0", "someone"
"2026-11-19 12:00:00", "1400003", "deadbeef", "sha3_384_hash", "payload", "unknown", "", "Unknown malware", "", "50", "", "None", "0", "x"
`

func TestParseCSV(t *testing.T) {
	type want struct {
		value, malware, ref string
		typ                 Type
		conf                int
		tags                []string
	}
	tests := []struct {
		name        string
		in, columns string
		want        []want
		invalid     []int
		unsupported map[string]int
	}{
		{
			name: "header names", in: "indicator,type,confidence,tags\n198.51.100.7,ip,90,c2;botnet\nevil.example.com,domain,40,\n",
			want: []want{{value: "198.51.100.7", typ: TypeIP, conf: 90, tags: []string{"botnet", "c2"}}, {value: "evil.example.com", typ: TypeDomain, conf: 40}},
		},
		{
			name: "no header: first column, type inferred", in: "198.51.100.7,whatever\nd41d8cd98f00b204e9800998ecf8427e\n",
			want: []want{{value: "198.51.100.7", typ: TypeIP, conf: 70}, {value: "d41d8cd98f00b204e9800998ecf8427e", typ: TypeMD5, conf: 70}},
		},
		{
			name: "positional mapping", in: "x,198.51.100.7,ipv4,low\n", columns: "value=2,type=3,confidence=4",
			want: []want{{value: "198.51.100.7", typ: TypeIP, conf: 30}},
		},
		{
			name: "URLhaus with positional mapping", in: urlhausOnline, columns: "id=1,first_seen=2,value=3,last_seen=5,tags=7,reference=8",
			want: []want{
				{value: "http://198.51.100.20/bins/x86", typ: TypeURL, conf: 70, tags: []string{"elf", "mozi"}, ref: "https://urlhaus.abuse.ch/url/3100001/"},
				{value: "https://evil.example.com/load.ps1", typ: TypeURL, conf: 70, tags: []string{"ps1"}, ref: "https://urlhaus.abuse.ch/url/3100002/"},
			},
		},
		{
			name: "ThreatFox by commented header names", in: threatfoxRecent,
			columns: "value=ioc_value,type=ioc_type,malware=malware_printable,confidence=confidence_level,first_seen=first_seen_utc,last_seen=last_seen_utc,tags=tags,id=ioc_id,reference=reference",
			want: []want{
				{value: "198.51.100.30", typ: TypeIP, conf: 100, malware: "Cobalt Strike", tags: []string{"CobaltStrike", "c2"}},
				{value: "evil-panel.example.net", typ: TypeDomain, conf: 75, malware: "Remcos", ref: "https://example.org/report"},
			},
			unsupported: map[string]int{"type sha3_384_hash": 1},
		},
		{
			name: "bad fields are invalid with their line", in: "value,confidence,first_seen\n198.51.100.7,high,2026-01-01\n198.51.100.8,900,\n198.51.100.9,10,yesterday\n\"unterminated\n",
			want:    []want{{value: "198.51.100.7", typ: TypeIP, conf: 85}},
			invalid: []int{3, 4, 5},
		},
		{
			name: "short records", in: "id,value\n1,198.51.100.7\n2\n", columns: "value=2",
			want:    []want{{value: "198.51.100.7", typ: TypeIP, conf: 70}},
			invalid: []int{3},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseCSV(strings.NewReader(tt.in), "feed.csv", tt.columns, Defaults{})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Indicators) != len(tt.want) {
				t.Fatalf("got %+v; want %d entries; problems %v", p.Indicators, len(tt.want), p.Report.Problems)
			}
			for i, w := range tt.want {
				in := p.Indicators[i]
				if in.Value != w.value || in.Type != w.typ || in.Confidence != w.conf || in.Malware != w.malware ||
					in.Reference != w.ref || strings.Join(in.Tags, ",") != strings.Join(w.tags, ",") {
					t.Errorf("entry %d = %+v; want %+v", i, in, w)
				}
			}
			var lines []int
			for _, pr := range p.Report.Problems {
				if !pr.Unsupported {
					lines = append(lines, pr.Line)
				}
			}
			if !equalInts(lines, tt.invalid) || p.Report.Invalid != len(tt.invalid) {
				t.Errorf("invalid lines %v; want %v (%v)", lines, tt.invalid, p.Report.Problems)
			}
			for reason, n := range tt.unsupported {
				if p.Report.Unsupported[reason] != n {
					t.Errorf("unsupported %q = %d; want %d (%v)", reason, p.Report.Unsupported[reason], n, p.Report.Unsupported)
				}
			}
		})
	}
}

func TestParseCSVTimes(t *testing.T) {
	p, err := ParseCSV(strings.NewReader(urlhausOnline), "u.csv", "id=1,first_seen=2,value=3,last_seen=5", Defaults{})
	if err != nil {
		t.Fatal(err)
	}
	in := p.Indicators[0]
	if !in.FirstSeen.Equal(time.Date(2026, 11, 19, 10, 4, 7, 0, time.UTC)) || in.ObjectID != "3100001" {
		t.Errorf("times and id: %+v", in)
	}
}

func TestParseColumnsErrors(t *testing.T) {
	for spec, want := range map[string]string{
		"type=2":           "no value column",
		"value=0":          "column number from 1",
		"value=1,value=2":  "given twice",
		"value=1,colour=2": `unknown field "colour"`,
		"value":            "field=column",
	} {
		if _, err := ParseColumns(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseColumns(%q) = %v; want %q", spec, err, want)
		}
	}
	_, err := ParseCSV(strings.NewReader("a,b\n1,2\n"), "f.csv", "value=ioc", Defaults{})
	if err == nil || !strings.Contains(err.Error(), "f.csv:1") || !strings.Contains(err.Error(), "ioc") {
		t.Errorf("missing named column: %v", err)
	}
}
