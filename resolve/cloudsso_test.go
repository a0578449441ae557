package resolve

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/99designs/keyring"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/internal/stsemu"
	"github.com/alirole/alirole/keychain"
)

// fakeSSO signs in against the emulator in-process (approving at once)
// and counts what resolve asks of it.
type fakeSSO struct {
	t        *testing.T
	emu      *stsemu.Server
	mu       sync.Mutex
	current  string
	tokens   int
	rejected []string
}

func (f *fakeSSO) Token(ctx context.Context, u string) (string, time.Time, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens++
	if f.current == "" {
		f.current = signInEmu(f.t, f.emu)
	}
	return f.current, time.Now().Add(time.Hour), nil
}

func (f *fakeSSO) Rejected(u, tok string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rejected = append(f.rejected, tok)
	if tok == f.current {
		f.current = ""
	}
}

func signInEmu(t *testing.T, emu *stsemu.Server) string {
	base := "https://" + emu.Endpoint()
	post := func(path string, body map[string]string) map[string]any {
		b, _ := json.Marshal(body)
		resp, err := http.Post(base+path, "application/json", bytes.NewReader(b))
		if err != nil {
			t.Error(err)
			return nil
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return out
	}
	const v = "resolve-test-verifier-0123456789abcdef0123456789"
	sum := sha256.Sum256([]byte(v))
	dev := post("/device-authorization", map[string]string{"PortalUrl": base + "/start/login", "CodeChallenge": base64.RawURLEncoding.EncodeToString(sum[:]), "ClientId": "c", "CodeChallengeMethod": "S256"})
	uc, _ := dev["UserCode"].(string)
	if err := emu.ApproveSSO(uc); err != nil {
		t.Error(err)
	}
	dc, _ := dev["DeviceCode"].(string)
	tok := post("/token", map[string]string{"CodeVerifier": v, "ClientId": "c", "DeviceCode": dc, "GrantType": "urn:ietf:params:oauth:grant-type:device_code"})
	at, _ := tok["AccessToken"].(string)
	return at
}

func TestCloudSSOSourceCachesAndReplacesARefusedTokenOnce(t *testing.T) {
	const ssoRole = "AliyunReservedSSO-Admin"
	world := &stsemu.World{
		Accounts: []stsemu.Account{{ID: testAcct, Roles: []stsemu.Role{
			{Name: ssoRole},
			{Name: "admin", Trust: []stsemu.Trust{{Principal: stsemu.RoleARN(testAcct, ssoRole)}}},
		}}},
		CloudSSO: &stsemu.CloudSSO{Assignments: []stsemu.SSOAssignment{{AccountID: testAcct, AccessConfigurationID: "ac-admin", AccessConfigurationName: "Admin", RoleName: ssoRole}}},
	}
	emu := startTestEmulator(t, world)
	cfg, err := config.Parse("/test/config", []byte(`
[profile sso]
credential_source = cloudsso
cloud_sso_sign_in_url = https://`+emu.Endpoint()+`/start/login
cloud_sso_account_id = `+testAcct+`
cloud_sso_access_config = ac-admin

[profile admin]
source_profile = sso
ram_role_arn = `+testAdminArn+`
`))
	if err != nil {
		t.Fatal(err)
	}
	store := keychain.New(keyring.NewArrayKeyring(nil))
	fake := &fakeSSO{t: t, emu: emu}
	lockDir := t.TempDir()
	resolveAdmin := func(refresh bool) (Result, error) {
		r, err := New(Options{Config: cfg, Store: store, LockDir: lockDir, STSEndpoint: emu.Endpoint(), SSO: fake, Refresh: refresh, Attempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		return r.Resolve(context.Background(), "admin")
	}
	if _, err := resolveAdmin(false); err != nil {
		t.Fatal(err)
	}
	if fake.tokens != 1 || emu.Count(stsemu.ActionSSOCloudCredentials, "") != 1 {
		t.Fatalf("first: %d token requests, %d cloud-credentials", fake.tokens, emu.Count(stsemu.ActionSSOCloudCredentials, ""))
	}
	// Warm: no token wanted at all.
	if _, err := resolveAdmin(false); err != nil || fake.tokens != 1 {
		t.Fatalf("warm: %v, %d token requests", err, fake.tokens)
	}
	// Refused (401): reported, one new token, success.
	emu.RevokeSSOTokens()
	if _, err := resolveAdmin(true); err != nil {
		t.Fatal(err)
	}
	if fake.tokens != 3 || len(fake.rejected) != 1 {
		t.Fatalf("after revocation: %d token requests, %d rejections", fake.tokens, len(fake.rejected))
	}
	// Refused every time: one replacement, then an error, never a loop.
	emu.Inject(stsemu.Fault{Action: stsemu.ActionSSOCloudCredentials, Status: 401, Code: "InvalidToken"})
	_, err = resolveAdmin(true)
	if err == nil || !strings.Contains(err.Error(), "refused a fresh access token too") {
		t.Fatalf("err = %v", err)
	}
	if fake.tokens != 5 || len(fake.rejected) != 2 {
		t.Fatalf("always refused: %d token requests, %d rejections", fake.tokens, len(fake.rejected))
	}
}

// TestCloudSSOErrorsNeverCarryTheAccessToken: a portal (or a proxy) that
// echoes the bearer token in its error must not get it into alirole's
// error text, raw or URL-encoded: the access token opens every account of
// the user for hours.
func TestCloudSSOErrorsNeverCarryTheAccessToken(t *testing.T) {
	const ssoRole = "AliyunReservedSSO-Admin"
	world := &stsemu.World{
		Accounts: []stsemu.Account{{ID: testAcct, Roles: []stsemu.Role{{Name: ssoRole}}}},
		CloudSSO: &stsemu.CloudSSO{Assignments: []stsemu.SSOAssignment{{AccountID: testAcct, AccessConfigurationID: "ac-admin", AccessConfigurationName: "Admin", RoleName: ssoRole}}},
	}
	emu, err := stsemu.New(world, stsemu.Options{CA: testCA})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.StartTLS("127.0.0.1:0", ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	cfg, err := config.Parse("/test/config", []byte(`
[profile sso]
credential_source = cloudsso
cloud_sso_sign_in_url = https://`+emu.Endpoint()+`/start/login
cloud_sso_account_id = `+testAcct+`
cloud_sso_access_config = ac-admin
`))
	if err != nil {
		t.Fatal(err)
	}
	fake := &fakeSSO{t: t, emu: emu}
	fake.current = signInEmu(t, emu)
	if fake.current == "" {
		t.Fatal("no token from the emulator")
	}
	for _, status := range []int{500, 401} {
		emu.ClearFaults()
		code := "InternalError"
		if status == 401 {
			code = "InvalidToken" // refused: one new sign-in, then the error
		}
		emu.Inject(stsemu.Fault{Action: stsemu.ActionSSOCloudCredentials, Status: status, Code: code, Times: 0,
			Message: "bad token " + fake.current + " / " + url.QueryEscape(fake.current)})
		r, err := New(Options{Config: cfg, Store: keychain.New(keyring.NewArrayKeyring(nil)), LockDir: t.TempDir(), STSEndpoint: emu.Endpoint(), SSO: fake, Attempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		tok := fake.current
		_, err = r.Resolve(context.Background(), "sso")
		if err == nil {
			t.Fatalf("status %d: no error", status)
		}
		for _, leak := range []string{tok, url.QueryEscape(tok), fake.current} {
			if leak != "" && strings.Contains(err.Error(), leak) {
				t.Fatalf("status %d: the error carries the access token: %v", status, err)
			}
		}
		t.Logf("status %d: %v", status, err)
	}
}
