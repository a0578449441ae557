//go:build !windows

package e2e

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alirole/alirole/internal/stsemu"
	"github.com/alirole/alirole/internal/testkit"
)

// oauthBrowser follows the sign-in page's redirect back to alirole's
// listener, as a browser of a signed-in user who consents does.
const oauthBrowser = `#!/bin/sh
printf '%s\n' "$1" >> "$SSO_BROWSER_LOG"
[ -n "$SSO_NO_APPROVE" ] && exit 0
exec curl -fsS -L --cacert "$SSL_CERT_FILE" "$1" >/dev/null
`

const oauthConfig = `
[profile me]
credential_source = oauth
oauth_site_type = CN

[profile ops-o]
source_profile = me
ram_role_arn = acs:ram::1111222233334444:role/ops
`

func newOAuthBox(t *testing.T) *ssoBox {
	t.Helper()
	testkit.LookPath(t, "curl", "curl") // plays the browser
	w := ssoWorld()
	a := &w.Accounts[0]
	a.Roles = append(a.Roles, stsemu.Role{Name: "oauth-user"})
	for i := range a.Roles {
		if a.Roles[i].Name == "ops" {
			a.Roles[i].Trust = append(a.Roles[i].Trust, stsemu.Trust{Principal: stsemu.RoleARN(acct, "oauth-user")})
		}
	}
	w.OAuth = &stsemu.OAuth{AccountID: acct, RoleName: "oauth-user", UserName: "oauth-dev"}
	srv := startEmulator(t, w, stsemu.Options{})
	b := newBrowserBox(t, srv, oauthBrowser)
	base := "https://" + srv.Endpoint()
	b.env = append(b.env, "ALIROLE_OAUTH_SIGNIN_URL="+base, "ALIROLE_OAUTH_URL="+base)
	b.writeConfig(oauthConfig)
	return b
}

func (b *ssoBox) checkOAuthHygiene(stsSecrets ...string) {
	b.t.Helper()
	secrets := append(b.emu.OAuthSecrets(), stsSecrets...)
	if len(b.emu.OAuthSecrets()) == 0 {
		b.t.Fatal("no OAuth secrets to look for")
	}
	for _, s := range secrets {
		for _, o := range b.outputs {
			if strings.Contains(o, s) {
				b.t.Errorf("an OAuth token, code verifier or STS secret appeared in output:\n%s", o)
			}
		}
		assertNotInTree(b.t, b.dir, s)
	}
}

func TestOAuthLoginChainRotationSurvivesKill(t *testing.T) {
	b := newOAuthBox(t)
	// Access tokens live 10 min: every run refreshes (credentials-go's
	// 1200 s rule), and each refresh spends the previous refresh token.
	b.emu.SetOAuthOptions(stsemu.OAuthOptions{AccessTokenTTL: 10 * time.Minute})
	r := b.detached(nil, false, "oauth", "login", "me")
	if r.code != 0 {
		t.Fatalf("login: %s", r)
	}
	opens := b.browserOpens()
	if len(opens) != 1 || !strings.HasPrefix(opens[0], "https://"+b.emu.Endpoint()+"/oauth2/v1/auth?") ||
		!strings.Contains(opens[0], "redirect_uri=http%3A%2F%2F127.0.0.1%3A1234") || !strings.Contains(opens[0], "code_challenge_method=S256") {
		t.Fatalf("browser opened %v", opens)
	}
	r = b.detached(nil, true, "export", "--format", "external", "ops-o")
	if r.code != 0 {
		t.Fatalf("export: %s", r)
	}
	c := ssoExternal(t, r.stdout)
	if arn := callerArn(t, b.emu, c.AccessKeyID, c.AccessKeySecret, c.STSToken); !strings.HasPrefix(arn, "acs:ram::"+acct+":assumed-role/ops/") {
		t.Fatalf("caller %q", arn)
	}
	secrets := []string{c.AccessKeySecret, c.STSToken}

	if n := b.count(stsemu.ActionOAuthRefresh); n != 1 {
		t.Fatalf("%d refreshes, want 1", n)
	}
	for i := 2; i <= 3; i++ {
		r = b.detached(nil, true, "export", "--format", "external", "--refresh", "ops-o")
		if r.code != 0 {
			t.Fatalf("export %d after rotation: %s", i, r)
		}
		secrets = append(secrets, ssoExternal(t, r.stdout).STSToken)
		if n := b.count(stsemu.ActionOAuthRefresh); n != i {
			t.Fatalf("%d refreshes, want %d", n, i)
		}
	}

	// kill -9 right after a refresh, while the STS exchange is under way:
	// the rotated refresh token must already be in the keychain.
	b.emu.Inject(stsemu.Fault{Action: stsemu.ActionOAuthExchange, Latency: 30 * time.Second, Times: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, "export", "--format", "external", "--refresh", "ops-o")
	cmd.Env = b.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for b.count(stsemu.ActionOAuthRefresh) < 4 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if b.count(stsemu.ActionOAuthRefresh) != 4 {
		t.Fatal("the fourth refresh never happened")
	}
	time.Sleep(100 * time.Millisecond) // let it reach the exchange
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	b.emu.ClearFaults()
	r = b.detached(nil, true, "export", "--format", "external", "--refresh", "ops-o")
	if r.code != 0 {
		t.Fatalf("export after kill -9 right after a refresh: %s", r)
	}
	secrets = append(secrets, ssoExternal(t, r.stdout).STSToken)

	// Revoked: a clear message to sign in again.
	if b.emu.RevokeOAuthRefreshTokens() != 1 {
		t.Fatal("want one live refresh token")
	}
	r = b.detached(nil, true, "export", "--format", "external", "--refresh", "ops-o")
	if r.code == 0 || !strings.Contains(r.stderr, "no longer valid") || !strings.Contains(r.stderr, "run 'alirole oauth login me'") {
		t.Fatalf("revoked: %s", r)
	}
	r = b.detached(nil, false, "oauth", "logout")
	if r.code != 0 {
		t.Fatalf("logout: %s", r)
	}
	b.checkOAuthHygiene(secrets...)
}

func TestOAuthListenerLoopbackStateAndTimeout(t *testing.T) {
	b := newOAuthBox(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, "oauth", "login", "--timeout", "30s", "me")
	cmd.Env = append(append([]string{}, b.env...), "SSO_NO_APPROVE=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	waitFor(t, stderr, "opened the sign-in page")
	opens := b.browserOpens()
	if len(opens) != 1 {
		t.Fatalf("browser opens %v", opens)
	}
	auth, _ := url.Parse(opens[0])
	redirect, _ := url.Parse(auth.Query().Get("redirect_uri"))
	if redirect.Hostname() != "127.0.0.1" {
		t.Fatalf("redirect %s", redirect)
	}
	checkLoopbackOnly(t, redirect.Port())

	// A request with the wrong state is refused and does not end the wait.
	resp, err := http.Get(redirect.String() + "?code=forged&state=wrong")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), "Invalid state") {
		t.Fatalf("forged callback: %d %s", resp.StatusCode, body)
	}
	// Now the real browser: the sign-in page redirects back with the code.
	resp, err = http.Get(opens[0])
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "Authorization successful. You can close this window.\n" || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Fatalf("callback: %d %q", resp.StatusCode, body)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("login: %v\n%s", err, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("login did not finish")
	}
	b.outputs = append(b.outputs, stderr.String())
	if n := b.count(stsemu.ActionOAuthToken); n != 1 {
		t.Fatalf("%d code grants", n)
	}

	// Nobody comes back: a clear timeout.
	start := time.Now()
	r := b.detached([]string{"SSO_NO_APPROVE=1"}, false, "oauth", "login", "--timeout", "2s", "me")
	if r.code == 0 || !strings.Contains(r.stderr, "the OAuth sign-in did not complete in time: no answer from the browser within 2s") || time.Since(start) > 15*time.Second {
		t.Fatalf("timeout: %s", r)
	}
	// --no-browser prints the address instead.
	r = b.detached(nil, false, "--no-browser", "oauth", "login", "--timeout", "1s", "me")
	if !strings.Contains(r.stderr, "open this address in a browser on this machine:\n  https://"+b.emu.Endpoint()+"/oauth2/v1/auth?") || len(b.browserOpens()) != 2 {
		t.Fatalf("--no-browser: %s", r)
	}
	b.checkOAuthHygiene()
}

// Parallel runs that all need a refresh take turns with the single-use
// refresh token: every one succeeds and each refresh uses the token the
// previous one stored.
func TestOAuthParallelRefreshesTakeTurns(t *testing.T) {
	b := newOAuthBox(t)
	b.emu.SetOAuthOptions(stsemu.OAuthOptions{AccessTokenTTL: 10 * time.Minute})
	if r := b.detached(nil, false, "oauth", "login", "me"); r.code != 0 {
		t.Fatalf("login: %s", r)
	}
	const n = 8
	results := make([]result, n)
	done := make(chan int, n)
	for i := 0; i < n; i++ {
		go func(i int) {
			results[i] = b.detached(nil, true, "export", "--format", "external", "--no-cache", "ops-o")
			done <- i
		}(i)
	}
	for i := 0; i < n; i++ {
		<-done
	}
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("export %d: %s", i, r)
		}
	}
	if got := b.count(stsemu.ActionOAuthRefresh); got != n {
		t.Fatalf("%d successful refreshes for %d runs", got, n)
	}
	for _, c := range b.emu.Calls() {
		if c.Action == stsemu.ActionOAuthRefresh && !c.Success {
			t.Fatalf("a refresh failed (%s): the runs did not take turns", c.Code)
		}
	}
	// Every rotated refresh token, too, stays out of outputs and files.
	var sts []string
	for _, r := range results {
		c := ssoExternal(t, r.stdout)
		sts = append(sts, c.AccessKeySecret, c.STSToken)
	}
	b.checkOAuthHygiene(sts...)
}

// TestSignInsRefuseForeignLockDir: sso login and oauth login take their
// cross-process locks (and write sso-*.failed) in the lock directory; a
// directory others can write is refused as for every other lock, before
// anything is created in it.
func TestSignInsRefuseForeignLockDir(t *testing.T) {
	b := newOAuthBox(t)
	b.writeConfig(ssoConfig("https://"+b.emu.Endpoint()+"/start/login") + "\n" + oauthConfig)
	lockDir := b.path("run/alirole")
	for _, args := range [][]string{{"sso", "login", "sso-admin"}, {"oauth", "login", "me"}} {
		_ = os.RemoveAll(lockDir)
		if err := os.MkdirAll(lockDir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(lockDir, 0o777); err != nil {
			t.Fatal(err)
		}
		r := b.detached(nil, false, args...)
		entries, _ := os.ReadDir(lockDir)
		if r.code == 0 || !strings.Contains(r.stderr, "writable by other users (mode 0777)") || len(entries) != 0 {
			t.Fatalf("%v with a 0777 lock directory: %d files left in it; %s", args, len(entries), r)
		}
	}
}
