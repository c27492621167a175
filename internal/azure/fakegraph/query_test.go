package fakegraph

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseFilter(t *testing.T) {
	tests := []struct {
		in      string
		want    Filter
		wantErr bool
	}{
		{in: "deviceName eq 'PC-1'", want: Filter{Clauses: []Clause{{"deviceName", "eq", "PC-1", true}}}},
		{in: "userPrincipalName eq 'o''brien@x.com' or userPrincipalName eq 'b@x.com'", want: Filter{Join: "or", Clauses: []Clause{
			{"userPrincipalName", "eq", "o'brien@x.com", true}, {"userPrincipalName", "eq", "b@x.com", true}}}},
		{in: "userId eq 'u' and createdDateTime ge 2026-03-07T12:00:00Z", want: Filter{Join: "and", Clauses: []Clause{
			{"userId", "eq", "u", true}, {"createdDateTime", "ge", "2026-03-07T12:00:00Z", false}}}},
		{in: "a eq 'x and b eq y'", want: Filter{Clauses: []Clause{{"a", "eq", "x and b eq y", true}}}},
		{in: "", wantErr: true},
		{in: "a eq 'x' and b eq 'y' or c eq 'z'", wantErr: true},
		{in: "startswith(appDisplayName,'Graph')", wantErr: true},
		{in: "a eq 'unterminated", wantErr: true},
		{in: "a has 'x'", wantErr: true},
		{in: "a eq 'x' nor b eq 'y'", wantErr: true},
		{in: "a eq", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseFilter(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("%q: error %v", tt.in, err)
			continue
		}
		if !tt.wantErr && !cmp.Equal(got, tt.want) {
			t.Errorf("%q:\n got %+v\nwant %+v", tt.in, got, tt.want)
		}
	}
}
