package intel

import (
	"bytes"
	"errors"
	"os"
	"testing"
)

// checkParsed asserts what every parser promises for any input: entries
// are normalised (normalising them again changes nothing), confidences are
// 0-100, and the report counts what was produced.
func checkParsed(t *testing.T, p *Parsed, err error) {
	t.Helper()
	if err != nil {
		var ie *InputError
		if !errors.As(err, &ie) {
			t.Fatalf("error %v (%T); want an *InputError", err, err)
		}
		return
	}
	if p.Report.Read != len(p.Indicators) {
		t.Fatalf("report says %d read, %d produced", p.Report.Read, len(p.Indicators))
	}
	for _, in := range p.Indicators {
		typ, v, err := Normalize(in.Type, in.Value)
		if err != nil || typ != in.Type || v != in.Value {
			t.Fatalf("entry %s %q not normalised: %s %q %v", in.Type, in.Value, typ, v, err)
		}
		if in.Confidence < 0 || in.Confidence > 100 {
			t.Fatalf("confidence %d", in.Confidence)
		}
		if len(in.Value) > MaxValueLen || len(in.Description) > 1000 || len(in.Reference) > MaxValueLen {
			t.Fatalf("unbounded field in %+v", in)
		}
	}
	if len(p.Report.Problems) > maxProblems {
		t.Fatalf("%d problems listed", len(p.Report.Problems))
	}
}

func seedFile(f *testing.F, path string) {
	data, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
}

func FuzzParseText(f *testing.F) {
	f.Add([]byte(sampleList))
	f.Add([]byte("0.0.0.0 ads.example.com\n1.2.3.4:80 ; x\n\xef\xbb\xbf#c\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseText(bytes.NewReader(data), "fuzz.txt", Defaults{})
		checkParsed(t, p, err)
	})
}

func FuzzParseCSV(f *testing.F) {
	f.Add([]byte(urlhausOnline), "id=1,first_seen=2,value=3,last_seen=5,tags=7,reference=8")
	f.Add([]byte(threatfoxRecent), "value=ioc_value,type=ioc_type,confidence=confidence_level")
	f.Add([]byte("indicator,type\n198.51.100.7,ip\n"), "")
	f.Fuzz(func(t *testing.T, data []byte, columns string) {
		p, err := ParseCSV(bytes.NewReader(data), "fuzz.csv", columns, Defaults{})
		checkParsed(t, p, err)
	})
}

func FuzzParseSTIX(f *testing.F) {
	seedFile(f, "testdata/stix/bundle.json")
	f.Add([]byte(`[{"type":"indicator","pattern":"[url:value = 'http://a.example.com/']","pattern_type":"stix","confidence":101}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseSTIX(bytes.NewReader(data), "fuzz.json", Defaults{})
		checkParsed(t, p, err)
	})
}

func FuzzParseMISP(f *testing.F) {
	seedFile(f, mispFeedDir+"/5f0b3d5a-8c1e-4c2b-9a7d-1e2f3a4b5c6d.json")
	seedFile(f, mispFeedDir+"/7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d.json")
	seedFile(f, mispFeedDir+"/hashes.csv")
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseMISP(bytes.NewReader(data), "fuzz.json", Defaults{})
		checkParsed(t, p, err)
	})
}

func FuzzPattern(f *testing.F) {
	f.Add("[ipv4-addr:value = '198.51.100.7'] OR [file:hashes.'SHA-256' = 'ab']")
	f.Add("[a:b[*].'c' IN ('x', 1, t'2026-01-01T00:00:00Z')] REPEATS 2 TIMES")
	f.Fuzz(func(t *testing.T, p string) {
		values, err := ParsePattern(p)
		var ue *UnsupportedError
		var pe *PatternError
		switch {
		case err == nil:
			for _, v := range values {
				switch v.Type {
				case TypeIP, TypeCIDR, TypeDomain, TypeURL, TypeEmail, TypeMD5, TypeSHA1, TypeSHA256:
				default:
					t.Fatalf("value of type %q", v.Type)
				}
			}
		case errors.As(err, &ue):
			if ue.Reason == "" {
				t.Fatal("unsupported without a reason")
			}
		case errors.As(err, &pe):
			if pe.Offset < 0 || pe.Offset > len(p) && pe.Offset != maxPatternLen {
				t.Fatalf("offset %d outside the pattern of %d bytes", pe.Offset, len(p))
			}
		default:
			t.Fatalf("error %v (%T)", err, err)
		}
	})
}
