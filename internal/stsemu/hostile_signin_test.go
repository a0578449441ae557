package stsemu

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestAnswerFaultsShapeSignInAnswers: the answer-shaping faults apply to
// the CloudSSO /cloud-credentials and OAuth /v1/exchange answers (and the
// token endpoints), by action name, as they do to AssumeRole.
func TestAnswerFaultsShapeSignInAnswers(t *testing.T) {
	h := oauthHarness(t, OAuthOptions{})
	emu := h.srv
	base := "https://" + emu.Endpoint()
	// A CloudSSO access token, through the device flow.
	dev := h.ssoDevice(t)
	if err := emu.ApproveSSO(dev.str("UserCode")); err != nil {
		t.Fatal(err)
	}
	ssoTok := h.ssoPoll(t, dev.str("DeviceCode"), testVerifier).str("AccessToken")
	// An OAuth access token, through the code grant.
	redirect := "http://127.0.0.1:12345/cli/callback"
	q := url.Values{"response_type": {"code"}, "client_id": {OAuthClientIDCN}, "redirect_uri": {redirect}, "state": {"s"},
		"code_challenge": {challengeOf(testVerifier)}, "code_challenge_method": {"S256"}}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(base + oauthAuthPath + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	codeForm := url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "client_id": {OAuthClientIDCN}, "redirect_uri": {redirect}, "code_verifier": {testVerifier}}
	_, tok := h.oauthForm(t, codeForm)
	oauthTok, _ := tok["access_token"].(string)
	if ssoTok == "" || oauthTok == "" {
		t.Fatalf("no tokens: %q %v", ssoTok, tok)
	}
	creds := func() (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+ssoCredsPath, strings.NewReader(`{"AccountId":"`+ssoAcct2+`","AccessConfigurationId":"ac-read02"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+ssoTok)
		return doRead(t, http.DefaultClient, req)
	}
	exchange := func() (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, base+oauthExchangePath, nil)
		req.Header.Set("Authorization", "Bearer "+oauthTok)
		return doRead(t, http.DefaultClient, req)
	}
	for _, tc := range []struct {
		action string
		call   func() (int, []byte)
		field  func(m map[string]any) map[string]any
		exp    string
	}{
		{ActionSSOCloudCredentials, creds, func(m map[string]any) map[string]any { c, _ := m["CloudCredential"].(map[string]any); return c }, "Expiration"},
		{ActionOAuthExchange, exchange, func(m map[string]any) map[string]any { return m }, "expiration"},
	} {
		get := func(f Fault) map[string]any {
			t.Helper()
			emu.ClearFaults()
			f.Action = tc.action
			emu.Inject(f)
			st, body := tc.call()
			var m map[string]any
			if st != 200 || json.Unmarshal(body, &m) != nil {
				t.Fatalf("%s %+v: %d %.200s", tc.action, f, st, body)
			}
			return tc.field(m)
		}
		key := func(m map[string]any, name string) string {
			for k, v := range m {
				if strings.EqualFold(k, name) {
					s, _ := v.(string)
					return s
				}
			}
			return ""
		}
		if c := get(Fault{Expiration: "2099-01-01T00:00:00Z"}); c[tc.exp] != "2099-01-01T00:00:00Z" {
			t.Errorf("%s: expiration not shaped: %v", tc.action, c)
		}
		if c := get(Fault{EmptyCredentials: true}); key(c, "AccessKeyId") != "" || key(c, "SecurityToken") != "" || key(c, "AccessKeySecret") != "" {
			t.Errorf("%s: credentials not emptied: %v", tc.action, c)
		}
		if c := get(Fault{OversizeToken: 100 << 10}); len(key(c, "SecurityToken")) < 100<<10 {
			t.Errorf("%s: token not oversized", tc.action)
		}
		emu.ClearFaults()
		emu.Inject(Fault{Action: tc.action, HugeBody: 4 << 20})
		st, body := tc.call()
		var m map[string]any
		if st != 200 || len(body) < 4<<20-16 || json.Unmarshal(body, &m) != nil || key(tc.field(m), "AccessKeyId") == "" {
			t.Errorf("%s: huge body: %d, %d bytes", tc.action, st, len(body))
		}
		emu.ClearFaults()
		emu.Inject(Fault{Action: tc.action, MalformedBody: true, Status: 502})
		if st, body := tc.call(); st != 502 || !bytes.HasPrefix(body, []byte("<html>")) {
			t.Errorf("%s: malformed: %d %.100s", tc.action, st, body)
		}
		calls := emu.Calls()
		if last := calls[len(calls)-1]; last.Success || last.Fault == "" {
			t.Errorf("%s: a shaped answer recorded as %+v", tc.action, last)
		}
	}
	// The token endpoints: an oversized and an empty access token.
	emu.Inject(Fault{Action: ActionOAuthRefresh, OversizeToken: 64 << 10, Times: 1})
	st, body := h.oauthForm(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok["refresh_token"].(string)}, "client_id": {OAuthClientIDCN}})
	if at, _ := body["access_token"].(string); st != 200 || len(at) < 64<<10 {
		t.Errorf("refresh: access token not oversized: %d", st)
	}
	emu.Inject(Fault{Action: ActionSSOToken, EmptyCredentials: true, Times: 1})
	dev = h.ssoDevice(t)
	_ = emu.ApproveSSO(dev.str("UserCode"))
	if a := h.ssoPoll(t, dev.str("DeviceCode"), testVerifier); a.status != 200 || a.str("AccessToken") != "" {
		t.Errorf("sso token not emptied: %d %s", a.status, a.raw)
	}
	emu.ClearFaults()
}

func doRead(t *testing.T, c *http.Client, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}
