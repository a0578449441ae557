//go:build !windows

package e2e

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alirole/alirole/internal/stsemu"
)

// emuSSOToken gets a CloudSSO access token from the emulator the way the
// aliyun CLI does (device flow, approved at once).
func emuSSOToken(t *testing.T, emu *stsemu.Server) string {
	t.Helper()
	base := "https://" + emu.Endpoint()
	post := func(path string, body map[string]string) map[string]any {
		b, _ := json.Marshal(body)
		resp, err := http.Post(base+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	const verifier = "cli-style-verifier-0123456789abcdef0123456789abcdef"
	sum := challengeS256(verifier)
	dev := post("/device-authorization", map[string]string{"PortalUrl": base + "/start/login", "CodeChallenge": sum, "ClientId": "app-vaz16tltdxs96audqf35", "CodeChallengeMethod": "S256"})
	if err := emu.ApproveSSO(dev["UserCode"].(string)); err != nil {
		t.Fatal(err)
	}
	tok := post("/token", map[string]string{"CodeVerifier": verifier, "ClientId": "app-vaz16tltdxs96audqf35", "DeviceCode": dev["DeviceCode"].(string), "GrantType": "urn:ietf:params:oauth:grant-type:device_code"})
	at, _ := tok["AccessToken"].(string)
	if at == "" {
		t.Fatalf("no token: %v", tok)
	}
	return at
}

// emuOAuthTokens runs the OAuth code flow against the emulator without a
// listener (the redirect is read, not followed).
func emuOAuthTokens(t *testing.T, emu *stsemu.Server) (access, refresh string) {
	t.Helper()
	base := "https://" + emu.Endpoint()
	const verifier = "cli-oauth-verifier-0123456789abcdef0123456789abcdef0123456789"
	redirect := "http://127.0.0.1:12349/cli/callback"
	q := url.Values{"response_type": {"code"}, "client_id": {stsemu.OAuthClientIDCN}, "redirect_uri": {redirect}, "state": {"s"},
		"code_challenge": {challengeS256(verifier)}, "code_challenge_method": {"S256"}}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(base + "/oauth2/v1/auth?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	resp, err = http.PostForm(base+"/v1/token", url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"client_id": {stsemu.OAuthClientIDCN}, "redirect_uri": {redirect}, "code_verifier": {verifier}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok map[string]any
	json.NewDecoder(resp.Body).Decode(&tok)
	access, _ = tok["access_token"].(string)
	refresh, _ = tok["refresh_token"].(string)
	if refresh == "" {
		t.Fatalf("no tokens: %v", tok)
	}
	return access, refresh
}

func TestImportScrubCloudSSOAndOAuthProfiles(t *testing.T) {
	b := newOAuthBox(t) // its world has both a CloudSSO directory and an OAuth user
	b.writeConfig("")
	ssoTok := emuSSOToken(t, b.emu)
	access, refresh := emuOAuthTokens(t, b.emu)
	exp := time.Now().Add(7 * time.Hour).Unix()
	cliPath := b.path("home/.aliyun/config.json")
	os.MkdirAll(filepath.Dir(cliPath), 0o700)
	cli := fmt.Sprintf(`{
	"current": "sso",
	"profiles": [
		{"name": "sso", "mode": "CloudSSO", "cloud_sso_sign_in_url": "https://%[1]s/start/login", "access_token": %[2]q,
		 "cloud_sso_access_token_expire": %[3]d, "cloud_sso_account_id": %[4]q, "cloud_sso_access_config": "ac-read",
		 "access_key_id": "STS.cached", "access_key_secret": "cached-sts-secret-1234", "sts_token": "cached-sts-token-5678", "region_id": "cn-shanghai"},
		{"name": "oa", "mode": "OAuth", "oauth_site_type": "CN", "oauth_access_token": %[5]q, "oauth_refresh_token": %[6]q,
		 "oauth_access_token_expire": %[3]d, "region_id": "cn-hangzhou"}
	]
}`, b.emu.Endpoint(), ssoTok, exp, acct, access, refresh)
	if err := os.WriteFile(cliPath, []byte(cli), 0o600); err != nil {
		t.Fatal(err)
	}
	r := b.detached(nil, false, "import", "--scrub")
	if r.code != 0 || !strings.Contains(r.stderr, "sso: CloudSSO token moved into the keychain") || !strings.Contains(r.stderr, "oa: OAuth tokens moved into the keychain") {
		t.Fatalf("import: %s", r)
	}
	after, _ := os.ReadFile(cliPath)
	for _, secret := range []string{ssoTok, access, refresh, "cached-sts-secret-1234", "cached-sts-token-5678"} {
		if strings.Contains(string(after), secret) {
			t.Fatalf("config.json still holds a token after --scrub:\n%s", after)
		}
	}
	cfg, _ := os.ReadFile(b.path("config"))
	if !strings.Contains(string(cfg), "credential_source = cloudsso") || !strings.Contains(string(cfg), "cloud_sso_access_config = ac-read") ||
		!strings.Contains(string(cfg), "credential_source = oauth") || !strings.Contains(string(cfg), "oauth_site_type = CN") {
		t.Fatalf("alirole config:\n%s", cfg)
	}
	// The tokens work from the keychain: no new sign-in of any kind.
	signIns := b.count(stsemu.ActionSSODeviceAuthorization)
	for _, p := range []string{"sso", "oa"} {
		r = b.detached(nil, true, "export", "--format", "external", p)
		if r.code != 0 {
			t.Fatalf("export %s: %s", p, r)
		}
		c := ssoExternal(t, r.stdout)
		if arn := callerArn(t, b.emu, c.AccessKeyID, c.AccessKeySecret, c.STSToken); !strings.Contains(arn, ":assumed-role/") {
			t.Fatalf("%s: caller %q", p, arn)
		}
	}
	if b.count(stsemu.ActionSSODeviceAuthorization) != signIns || b.count(stsemu.ActionOAuthAuthorize) != 1 {
		t.Fatal("an imported profile needed a new sign-in")
	}
	// The scrubbed CLI profiles call alirole.
	var doc struct {
		Profiles []map[string]any `json:"profiles"`
	}
	json.Unmarshal(after, &doc)
	for _, p := range doc.Profiles {
		if p["mode"] != "External" || !strings.Contains(fmt.Sprint(p["process_command"]), "export --format external "+fmt.Sprint(p["name"])) {
			t.Fatalf("scrubbed profile %v", p["name"])
		}
	}
}

func challengeS256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// TestImportThenScrubSignInProfiles follows import's own advice for CloudSSO
// and OAuth profiles: a plain import moves their tokens into the keychain
// and says "run again with --scrub"; the re-run must then remove the tokens
// from config.json (the alirole profiles are the ones import wrote), not
// skip them for having a name alirole already knows. A CLI profile whose
// alirole namesake signs in elsewhere keeps its tokens, with the reason.
func TestImportThenScrubSignInProfiles(t *testing.T) {
	b := newOAuthBox(t)
	b.writeConfig("")
	ssoTok := emuSSOToken(t, b.emu)
	access, refresh := emuOAuthTokens(t, b.emu)
	exp := time.Now().Add(7 * time.Hour).Unix()
	cliPath := b.path("home/.aliyun/config.json")
	os.MkdirAll(filepath.Dir(cliPath), 0o700)
	cli := fmt.Sprintf(`{
	"current": "sso",
	"profiles": [
		{"name": "sso", "mode": "CloudSSO", "cloud_sso_sign_in_url": "https://%[1]s/start/login", "access_token": %[2]q,
		 "cloud_sso_access_token_expire": %[3]d, "cloud_sso_account_id": %[4]q, "cloud_sso_access_config": "ac-read", "region_id": "cn-shanghai"},
		{"name": "oa", "mode": "OAuth", "oauth_site_type": "CN", "oauth_access_token": %[5]q, "oauth_refresh_token": %[6]q,
		 "oauth_access_token_expire": %[3]d, "region_id": "cn-hangzhou"}
	]
}`, b.emu.Endpoint(), ssoTok, exp, acct, access, refresh)
	if err := os.WriteFile(cliPath, []byte(cli), 0o600); err != nil {
		t.Fatal(err)
	}
	r := b.detached(nil, false, "import")
	if r.code != 0 || !strings.Contains(r.stderr, "run again with --scrub") {
		t.Fatalf("import: %s", r)
	}
	r = b.detached(nil, false, "import", "--scrub")
	after, _ := os.ReadFile(cliPath)
	for _, secret := range []string{ssoTok, access, refresh} {
		if strings.Contains(string(after), secret) {
			t.Fatalf("the re-run with --scrub left a token in config.json (rc %d):\n%s\n%s", r.code, r.stderr, after)
		}
	}
	if r.code != 0 {
		t.Fatalf("import --scrub: %s", r)
	}
	for _, p := range []string{"sso", "oa"} {
		r = b.detached(nil, true, "export", "--format", "external", p)
		if r.code != 0 {
			t.Fatalf("export %s after the scrub: %s", p, r)
		}
	}
	if n := b.count(stsemu.ActionOAuthAuthorize); n != 1 {
		t.Fatalf("%d OAuth sign-ins, want only the CLI's own", n)
	}

	// A CLI profile named like an alirole profile of another kind keeps
	// its token, and the exit status says so.
	b.writeConfig("[profile other]\ncredential_source = oauth\noauth_site_type = CN\n")
	cli = fmt.Sprintf(`{"current": "other", "profiles": [
		{"name": "other", "mode": "CloudSSO", "cloud_sso_sign_in_url": "https://%[1]s/start/login", "access_token": %[2]q,
		 "cloud_sso_access_token_expire": %[3]d, "cloud_sso_account_id": %[4]q, "cloud_sso_access_config": "ac-read", "region_id": "cn-shanghai"}]}`,
		b.emu.Endpoint(), ssoTok, exp, acct)
	if err := os.WriteFile(cliPath, []byte(cli), 0o600); err != nil {
		t.Fatal(err)
	}
	r = b.detached(nil, false, "import", "--scrub")
	after, _ = os.ReadFile(cliPath)
	if r.code != 3 || !strings.Contains(string(after), ssoTok) || !strings.Contains(r.stderr, "other (") {
		t.Fatalf("a namesake of another kind: rc %d\n%s\n%s", r.code, r.stderr, after)
	}
}
