package azure

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseGraphError(t *testing.T) {
	req := Request{What: "the user", Permission: "User.Read.All", License: "an Entra ID P1/P2 license"}
	tests := []struct {
		name   string
		status int
		body   string
		want   string
	}{
		{"not found", 404, `{"error":{"code":"Request_ResourceNotFound","message":"Resource 'x' does not exist"}}`,
			"entra: the user does not exist (Request_ResourceNotFound) (404)"},
		{"denied", 403, `{"error":{"code":"Authorization_RequestDenied","message":"Insufficient privileges to complete the operation."}}`,
			"entra: permission denied reading the user: grant the application permission User.Read.All (with admin consent) (Authorization_RequestDenied) (403)"},
		{"license by message", 403, `{"error":{"code":"Forbidden","message":"Your tenant is not licensed for this feature."}}`,
			"entra: reading the user requires an Entra ID P1/P2 license (Forbidden) (403)"},
		{"token", 401, `{"error":{"code":"InvalidAuthenticationToken","message":"Lifetime validation failed, the token is expired."}}`,
			"entra: Microsoft Graph rejected the access token; check that the app registration belongs to tenant_id and that graph_url and authority_host are in the same cloud (InvalidAuthenticationToken) (401)"},
		{"html from a proxy", 502, `<html><body>Bad gateway</body></html>`, "entra: Microsoft Graph is unavailable (502)"},
		{"empty 418", 418, ``, "entra: Microsoft Graph answered 418 (418)"},
		{"multi-line message", 400, `{"error":{"code":"BadRequest","message":"first line\r\nsecond line"}}`,
			"entra: Microsoft Graph rejected the request: first line (BadRequest) (400)"},
		{"null error", 400, `{"error":null}`, "entra: Microsoft Graph rejected the request (400)"},
		{"error as string", 400, `{"error":"invalid_request"}`, "entra: Microsoft Graph rejected the request (400)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseGraphError("entra", req, tt.status, http.Header{}, []byte(tt.body))
			if got.Error() != tt.want {
				t.Errorf("\n got %s\nwant %s", got.Error(), tt.want)
			}
		})
	}
}

func TestExplainTokenReply(t *testing.T) {
	c := Config{Plugin: "mdti", TenantID: "t", ClientID: "c", ClientSecret: "s3cr3t-value", GraphURL: DefaultGraphURL}
	tests := []struct {
		body, want string
	}{
		{`{"error":"invalid_client","error_description":"AADSTS7000222: The provided client secret keys for app 'c' are expired.","error_codes":[7000222]}`,
			"mdti: the client secret has expired (AADSTS7000222): create a new one and update client_secret (401)"},
		{`{"error":"invalid_scope","error_description":"AADSTS70011: The provided value for the input parameter 'scope' is not valid."}`,
			"mdti: the token scope https://graph.microsoft.com/.default was rejected (AADSTS70011): check graph_url (401)"},
		{`{"error":"invalid_request","error_description":"AADSTS123: echo s3cr3t-value\r\nTrace ID: x"}`,
			"mdti: the token request failed: invalid_request (AADSTS123): echo <secret> (401)"},
		{`not json`, "mdti: the token request failed with HTTP 401 Unauthorized (401)"},
	}
	for _, tt := range tests {
		if got := explainTokenReply(c, 401, []byte(tt.body)).Error(); got != tt.want {
			t.Errorf("\n got %s\nwant %s", got, tt.want)
		}
	}
}

// FuzzParseGraphReply feeds arbitrary replies to the Graph error parser, the
// collection decoder and the token error parser: none may panic, and the
// messages they produce stay one bounded, printable line.
func FuzzParseGraphReply(f *testing.F) {
	f.Add(404, []byte(`{"error":{"code":"Request_ResourceNotFound","message":"Resource 'x' does not exist or one of its queried reference-property objects are not present.","innerError":{"date":"2021-04-20T17:22:30","request-id":"f58cc4de"}}}`))
	f.Add(200, []byte(`{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#directoryObjects","value":[{"@odata.type":"#microsoft.graph.group","id":"1"}],"@odata.nextLink":"https://graph.microsoft.com/v1.0/users/x/memberOf?$skiptoken=abc"}`))
	f.Add(401, []byte(`{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1","error_codes":[7000215]}`))
	f.Add(429, []byte(`{"error":{"code":"TooManyRequests","message":"Too many requests"}}`))
	f.Add(500, []byte("\xff\xfe{\"error\":{\"message\":\"\x00\x01\u2028\"}}"))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		h := http.Header{}
		h.Set("Retry-After", "5")
		pe := parseGraphError("entra", Request{What: "the user"}, status, h, body)
		checkLine(t, pe.Msg, 900)
		if pe.Status != status || pe.Provider != "entra" {
			t.Fatalf("status %d provider %q", pe.Status, pe.Provider)
		}
		var p page[map[string]any]
		if err := json.Unmarshal(body, &p); err != nil {
			checkLine(t, malformed("entra", Request{}, status, err).Msg, 400)
		}
		te := explainTokenReply(Config{Plugin: "entra", TenantID: "t", ClientID: "c", GraphURL: DefaultGraphURL}, status, body)
		checkLine(t, te.Msg, 900)
	})
}

func checkLine(t *testing.T, s string, max int) {
	t.Helper()
	if s == "" || utf8.RuneCountInString(s) > max || strings.ContainsAny(s, "\r\n\x00") || !utf8.ValidString(s) {
		t.Fatalf("bad message %q", s)
	}
}
