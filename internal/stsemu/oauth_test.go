package stsemu

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/credentials-go/credentials/providers"
)

func oauthHarness(t *testing.T, o OAuthOptions) *harness {
	t.Helper()
	w := ssoWorld()
	w.OAuth = &OAuth{AccountID: ssoAcct2, RoleName: ssoRole, UserName: "oauth-user@corp"}
	return startHarness(t, w, Options{OAuth: o})
}

func (h *harness) oauthForm(t *testing.T, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm("https://"+h.srv.Endpoint()+"/v1/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestOAuthCodeRefreshRotationExchange(t *testing.T) {
	h := oauthHarness(t, OAuthOptions{})
	redirect := "http://127.0.0.1:12345/cli/callback"
	q := url.Values{"response_type": {"code"}, "client_id": {OAuthClientIDCN}, "redirect_uri": {redirect}, "state": {"st4te"},
		"code_challenge": {challengeOf(testVerifier)}, "code_challenge_method": {"S256"}}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get("https://" + h.srv.Endpoint() + "/oauth2/v1/auth?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != 302 || !strings.HasPrefix(loc.String(), redirect+"?") || loc.Query().Get("state") != "st4te" {
		t.Fatalf("authorize: %d %s", resp.StatusCode, loc)
	}
	code := loc.Query().Get("code")
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {OAuthClientIDCN}, "redirect_uri": {redirect}, "code_verifier": {"wrong-verifier"}}
	if st, body := h.oauthForm(t, form); st != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("wrong verifier: %d %v", st, body)
	}
	// The code was spent by the failed attempt.
	form.Set("code_verifier", testVerifier)
	if st, _ := h.oauthForm(t, form); st != 400 {
		t.Fatal("code reused")
	}
	resp, _ = client.Get("https://" + h.srv.Endpoint() + "/oauth2/v1/auth?" + q.Encode())
	resp.Body.Close()
	loc, _ = url.Parse(resp.Header.Get("Location"))
	form.Set("code", loc.Query().Get("code"))
	st, tok := h.oauthForm(t, form)
	if st != 200 || tok["token_type"] != "Bearer" || tok["expires_in"] != float64(3600) {
		t.Fatalf("code grant: %d %v", st, tok)
	}
	rt1 := tok["refresh_token"].(string)

	// credentials-go refreshes (the access token is not given), rotates,
	// reports through its callback and exchanges.
	var gotRT string
	prov, err := providers.NewOAuthCredentialsProviderBuilder().WithClientId(OAuthClientIDCN).WithSignInUrl("https://" + h.srv.Endpoint()).
		WithRefreshToken(rt1).WithTokenUpdateCallback(func(rt, at, ak, sk, sts string, atExp, stsExp int64) error { gotRT = rt; return nil }).Build()
	if err != nil {
		t.Fatal(err)
	}
	c, err := prov.GetCredentials()
	if err != nil {
		t.Fatal(err)
	}
	if gotRT == "" || gotRT == rt1 {
		t.Fatal("refresh token did not rotate")
	}
	res := h.do(t, rpcRequest{action: "GetCallerIdentity", creds: testCreds{id: c.AccessKeyId, secret: c.AccessKeySecret, token: c.SecurityToken}})
	if res.status != 200 || !strings.Contains(string(res.body), "assumed-role/"+ssoRole+"/oauth-user@corp") {
		t.Fatalf("caller: %s", res.body)
	}
	// The old refresh token is single use.
	if st, body := h.oauthForm(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt1}, "client_id": {OAuthClientIDCN}}); st != 400 || body["error"] != "invalid_grant" {
		t.Fatalf("reused refresh token: %d %v", st, body)
	}
	if h.srv.RevokeOAuthRefreshTokens() != 1 {
		t.Fatal("want one live refresh token")
	}
	if st, _ := h.oauthForm(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {gotRT}, "client_id": {OAuthClientIDCN}}); st != 400 {
		t.Fatal("revoked refresh token accepted")
	}
	// Expired access tokens are refused by /v1/exchange.
	h.clock.Advance(2 * time.Hour)
	req, _ := http.NewRequest("POST", "https://"+h.srv.Endpoint()+"/v1/exchange", nil)
	req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var eb map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&eb)
	resp.Body.Close()
	if resp.StatusCode != 401 || eb["error"] != "expired_token" || eb["requestId"] == "" {
		t.Fatalf("expired exchange: %d %v", resp.StatusCode, eb)
	}
	for _, s := range h.srv.OAuthSecrets() {
		if strings.Contains(h.log.String(), s) {
			t.Fatal("emulator log holds an OAuth secret")
		}
	}
}
