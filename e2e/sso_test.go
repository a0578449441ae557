//go:build !windows

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/alirole/alirole/internal/stsemu"
	"github.com/alirole/alirole/internal/testkit"
)

// CloudSSO world: the user is assigned Admin and Read in acct and Admin
// in acct2; CloudSSO's reserved roles are what /cloud-credentials hands
// out, and ordinary roles on top trust them.
const (
	ssoAcct2    = "555566667777"
	ssoAdmin    = "AliyunReservedSSO-Admin"
	ssoRead     = "AliyunReservedSSO-Read"
	ssoUserName = "dev@corp.example"
)

var (
	ssoOpsArn    = stsemu.RoleARN(acct, "ops")
	ssoDeployArn = stsemu.RoleARN(acct, "deploy")
	ssoOps2Arn   = stsemu.RoleARN(ssoAcct2, "ops2")
)

func ssoWorld() *stsemu.World {
	return &stsemu.World{
		Accounts: []stsemu.Account{
			{ID: acct, Roles: []stsemu.Role{
				{Name: ssoAdmin}, {Name: ssoRead},
				{Name: "ops", Trust: []stsemu.Trust{{Principal: stsemu.RoleARN(acct, ssoAdmin)}, {Principal: stsemu.RoleARN(acct, ssoRead)}}},
				{Name: "deploy", Trust: []stsemu.Trust{{Principal: ssoOpsArn}}},
			}},
			{ID: ssoAcct2, Roles: []stsemu.Role{
				{Name: ssoAdmin},
				{Name: "ops2", Trust: []stsemu.Trust{{Principal: stsemu.RoleARN(ssoAcct2, ssoAdmin)}}},
			}},
		},
		CloudSSO: &stsemu.CloudSSO{UserName: ssoUserName, Assignments: []stsemu.SSOAssignment{
			{AccountID: acct, AccountName: "main", AccessConfigurationID: "ac-admin", AccessConfigurationName: "Admin", RoleName: ssoAdmin},
			{AccountID: acct, AccountName: "main", AccessConfigurationID: "ac-read", AccessConfigurationName: "Read", RoleName: ssoRead},
			{AccountID: ssoAcct2, AccountName: "second", AccessConfigurationID: "ac-admin", AccessConfigurationName: "Admin", RoleName: ssoAdmin},
		}},
	}
}

// ssoConfig roots three chains at CloudSSO profiles.
func ssoConfig(signInURL string) string {
	return fmt.Sprintf(`[profile sso-admin]
credential_source = cloudsso
cloud_sso_sign_in_url = %[1]s
cloud_sso_account_id = %[2]s
cloud_sso_access_config = ac-admin
region_id = cn-shanghai

[profile sso-read]
credential_source = cloudsso
cloud_sso_sign_in_url = %[1]s
cloud_sso_account_id = %[2]s
cloud_sso_access_config = ac-read

[profile sso-second]
credential_source = cloudsso
cloud_sso_sign_in_url = %[1]s
cloud_sso_account_id = %[3]s
cloud_sso_access_config = ac-admin

[profile ops]
source_profile = sso-admin
ram_role_arn = %[4]s

[profile deploy]
source_profile = ops
ram_role_arn = %[5]s

[profile ops-read]
source_profile = sso-read
ram_role_arn = %[4]s

[profile ops2]
source_profile = sso-second
ram_role_arn = %[6]s
`, signInURL, acct, ssoAcct2, ssoOpsArn, ssoDeployArn, ssoOps2Arn)
}

// ssoBrowser is a $BROWSER that records the URL it is asked to open and,
// unless told not to, plays the person who signs in and clicks "allow"
// (the emulator's approval endpoint).
const ssoBrowser = `#!/bin/sh
printf '%s\n' "$1" >> "$SSO_BROWSER_LOG"
[ -n "$SSO_NO_APPROVE" ] && exit 0
code=${1##*user_code=}
base=${1%%/device*}
exec curl -fsS --cacert "$SSL_CERT_FILE" -X POST -d "user_code=$code" "$base/_emulator/cloudsso/approve" >/dev/null
`

type ssoBox struct {
	*sandbox
	emu        *stsemu.Server
	signInURL  string
	browserLog string
	// outputs keeps every stderr and every stdout that must hold no
	// credentials, for the hygiene check.
	mu      sync.Mutex
	outputs []string
}

func newSSOBox(t *testing.T, o stsemu.SSOOptions) *ssoBox {
	t.Helper()
	return newSSOBoxWorld(t, ssoWorld(), o)
}

func newSSOBoxWorld(t *testing.T, world *stsemu.World, o stsemu.SSOOptions) *ssoBox {
	t.Helper()
	testkit.LookPath(t, "curl", "curl") // plays the browser
	if o.Interval == 0 {
		o.Interval = time.Second
	}
	o.EnforceInterval = true
	srv := startEmulator(t, world, stsemu.Options{SSO: o})
	b := newBrowserBox(t, srv, ssoBrowser)
	b.signInURL = "https://" + srv.Endpoint() + "/start/login"
	b.writeConfig(ssoConfig(b.signInURL))
	return b
}

// newBrowserBox is a sandbox on srv whose browser ($BROWSER) is script,
// which logs every URL it is given to b.browserLog.
func newBrowserBox(t *testing.T, srv *stsemu.Server, script string) *ssoBox {
	t.Helper()
	b := &ssoBox{sandbox: newSandbox(t, srv, caPath), emu: srv}
	b.browserLog = b.path("browser.log")
	path := b.path("browser.sh")
	if err := os.WriteFile(path, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	b.env = append(b.env, "BROWSER="+path, "SSO_BROWSER_LOG="+b.browserLog)
	return b
}

// detached runs alirole in a new session: no controlling terminal, as
// under the aliyun CLI or Terraform started from a service.
func (b *ssoBox) detached(extra []string, delivers bool, args ...string) result {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// --debug always: its log is among the outputs checked for secrets.
	cmd := exec.CommandContext(ctx, binPath, append([]string{"--debug"}, args...)...)
	cmd.Env = append(append([]string{}, b.env...), extra...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	r, err := runCommand(cmd)
	if err != nil {
		r.code = -1
		r.stderr += err.Error()
	}
	b.mu.Lock()
	b.outputs = append(b.outputs, r.stderr)
	if !delivers {
		b.outputs = append(b.outputs, r.stdout)
	}
	b.mu.Unlock()
	return r
}

func (b *ssoBox) browserOpens() []string {
	data, _ := os.ReadFile(b.browserLog)
	return strings.Fields(string(data))
}

func (b *ssoBox) count(action string) int { return b.emu.Count(action, "") }

// portalAndSTSCalls counts every request the emulator saw.
func (b *ssoBox) portalAndSTSCalls() int { return len(b.emu.Calls()) }

// checkHygiene looks for every access token, code verifier and STS secret
// in the outputs that must not hold them and in every plain file.
func (b *ssoBox) checkHygiene(stsSecrets ...string) {
	b.t.Helper()
	secrets := append(b.emu.SSOSecrets(), stsSecrets...)
	if len(b.emu.SSOSecrets()) == 0 {
		b.t.Fatal("no CloudSSO secrets to look for: the check would prove nothing")
	}
	for _, s := range secrets {
		if len(s) < 8 {
			continue
		}
		for _, o := range b.outputs {
			if strings.Contains(o, s) {
				b.t.Errorf("a CloudSSO token, code verifier or STS secret appeared in output:\n%s", o)
			}
		}
		assertNotInTree(b.t, b.dir, s)
	}
}

type externalCreds struct {
	Mode            string `json:"mode"`
	AccessKeyID     string `json:"access_key_id"`
	AccessKeySecret string `json:"access_key_secret"`
	STSToken        string `json:"sts_token"`
}

func ssoExternal(t *testing.T, out string) externalCreds {
	t.Helper()
	var c externalCreds
	if err := json.Unmarshal([]byte(out), &c); err != nil || c.STSToken == "" {
		t.Fatalf("export output is not External JSON with a token (%d bytes): %v", len(out), err)
	}
	return c
}

var userCodeLine = regexp.MustCompile(`Code: ([A-Z]{4}-[A-Z]{4})`)

func TestSSOLoginThroughPTYThenChain(t *testing.T) {
	b := newSSOBox(t, stsemu.SSOOptions{})
	cmd := exec.Command(binPath, "--debug", "export", "--format", "external", "deploy")
	cmd.Env = append(append([]string{}, b.env...), "SSO_NO_APPROVE=1")
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	screen := &lockedBuffer{}
	go io.Copy(screen, tty)

	waitFor(t, screen, "Code: ")
	waitFor(t, screen, "opened the sign-in page")
	m := userCodeLine.FindStringSubmatch(screen.String())
	if m == nil {
		t.Fatalf("no user code on the terminal:\n%s", screen.String())
	}
	code := m[1]
	if !strings.Contains(screen.String(), "Open: https://"+b.emu.Endpoint()+"/device\r\n") {
		t.Fatalf("verification URL not on the terminal:\n%s", screen.String())
	}
	wantURL := "https://" + b.emu.Endpoint() + "/device?user_code=" + code
	if got := b.browserOpens(); len(got) != 1 || got[0] != wantURL {
		t.Fatalf("browser opened %v, want [%s]", got, wantURL)
	}
	if err := b.emu.ApproveSSO(code); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("export: %v\n%s", err, screen.String())
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("export did not finish:\n%s", screen.String())
	}
	b.outputs = append(b.outputs, screen.String())
	c := ssoExternal(t, stdout.String())
	if arn := callerArn(t, b.emu, c.AccessKeyID, c.AccessKeySecret, c.STSToken); !strings.HasPrefix(arn, "acs:ram::"+acct+":assumed-role/deploy/") {
		t.Fatalf("caller is %q, want the deploy role", arn)
	}
	if b.count(stsemu.ActionSSODeviceAuthorization) != 1 || b.count(stsemu.ActionSSOToken) != 1 || b.count(stsemu.ActionSSOCloudCredentials) != 1 ||
		b.emu.Count("AssumeRole", ssoOpsArn) != 1 || b.emu.Count("AssumeRole", ssoDeployArn) != 1 {
		t.Fatalf("calls: %+v", b.emu.Calls())
	}
	for _, call := range b.emu.Calls() {
		if call.Code == "SlowDown" {
			t.Fatal("alirole polled faster than the interval")
		}
	}

	// A second run makes no portal or STS call at all.
	before := b.portalAndSTSCalls()
	r := b.detached(nil, true, "export", "--format", "external", "deploy")
	if r.code != 0 {
		t.Fatalf("second export: %s", r)
	}
	if n := b.portalAndSTSCalls(); n != before {
		t.Fatalf("second run made %d calls", n-before)
	}
	if c2 := ssoExternal(t, r.stdout); c2.AccessKeyID != c.AccessKeyID {
		t.Fatal("second run did not reuse the cached session")
	}
	// list shows the sign-in.
	r = b.detached(nil, false, "list")
	if !regexpLine(r.stdout, `^`+regexp.QuoteMeta(b.signInURL)+`\s+signed in, expires in (8h00m|7h59m)$`) {
		t.Fatalf("list:\n%s", r.stdout)
	}
	b.checkHygiene(c.AccessKeySecret, c.STSToken)
}

func TestSSOParallelColdExportsSignInOnce(t *testing.T) {
	b := newSSOBox(t, stsemu.SSOOptions{})
	profiles := []string{"deploy", "ops", "sso-admin", "ops-read", "sso-read", "ops2", "sso-second", "deploy"}
	const n = 32
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i] = b.detached(nil, true, "export", "--format", "external", profiles[i%len(profiles)])
		}(i)
	}
	wg.Wait()
	waiters := 0
	var stsSecrets []string
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("export %d (%s): %s", i, profiles[i%len(profiles)], r)
		}
		c := ssoExternal(t, r.stdout)
		stsSecrets = append(stsSecrets, c.AccessKeySecret, c.STSToken)
		if strings.Contains(r.stderr, "another alirole process is signing in to CloudSSO") {
			waiters++
		}
	}
	got := fmt.Sprintf("device authorizations %d, tokens %d, cloud-credentials %d, AssumeRole ops %d deploy %d ops2 %d, browser opens %d",
		b.count(stsemu.ActionSSODeviceAuthorization), b.count(stsemu.ActionSSOToken), b.count(stsemu.ActionSSOCloudCredentials),
		b.emu.Count("AssumeRole", ssoOpsArn), b.emu.Count("AssumeRole", ssoDeployArn), b.emu.Count("AssumeRole", ssoOps2Arn), len(b.browserOpens()))
	t.Logf("%d processes: %s; %d waited with a message", n, got, waiters)
	// One sign-in; one /cloud-credentials per account and access
	// configuration (3); ops is assumed once from sso-admin and once
	// from sso-read (two profiles).
	if want := "device authorizations 1, tokens 1, cloud-credentials 3, AssumeRole ops 2 deploy 1 ops2 1, browser opens 1"; got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if waiters == 0 {
		t.Fatal("no process said it was waiting for the sign-in")
	}
	b.checkHygiene(stsSecrets...)
}

func TestSSORejectedAndExpiredTokenSignInOnceMore(t *testing.T) {
	b := newSSOBox(t, stsemu.SSOOptions{})
	if r := b.detached(nil, true, "export", "--format", "external", "ops"); r.code != 0 {
		t.Fatalf("first export: %s", r)
	}
	// The portal forgets every token: the stored one is refused (401),
	// dropped, and exactly one new sign-in follows.
	if b.emu.RevokeSSOTokens() != 1 {
		t.Fatal("expected one issued token")
	}
	r := b.detached(nil, true, "export", "--format", "external", "--refresh", "ops")
	if r.code != 0 {
		t.Fatalf("export after revocation: %s", r)
	}
	if !strings.Contains(r.stderr, "refused the access token; signing in again") {
		t.Fatalf("stderr:\n%s", r.stderr)
	}
	if d, tok := b.count(stsemu.ActionSSODeviceAuthorization), b.count(stsemu.ActionSSOToken); d != 2 || tok != 2 || len(b.browserOpens()) != 2 {
		t.Fatalf("after revocation: %d sign-ins, %d tokens, %d browser opens", d, tok, len(b.browserOpens()))
	}
	// Now every new token is refused: one more sign-in, then a clear
	// error, not a loop.
	b.emu.Inject(stsemu.Fault{Action: stsemu.ActionSSOCloudCredentials, Status: 401, Code: "InvalidToken", Times: 10})
	r = b.detached(nil, true, "export", "--format", "external", "--refresh", "sso-read")
	if r.code == 0 || !strings.Contains(r.stderr, "refused a fresh access token too") {
		t.Fatalf("want a clear error: %s", r)
	}
	if d := b.count(stsemu.ActionSSODeviceAuthorization); d != 3 {
		t.Fatalf("%d sign-ins, want 3", d)
	}
	b.emu.ClearFaults()

	// An expired token: 45 s tokens are stored as valid for 35 s and
	// used while 30 s remain.
	b.emu.SetSSOOptions(stsemu.SSOOptions{Interval: time.Second, EnforceInterval: true, AccessTokenTTL: 45 * time.Second})
	if r := b.detached(nil, false, "sso", "login", "--force", "sso-admin"); r.code != 0 {
		t.Fatalf("login: %s", r)
	}
	time.Sleep(6 * time.Second)
	before := b.count(stsemu.ActionSSODeviceAuthorization)
	if r := b.detached(nil, true, "export", "--format", "external", "--refresh", "ops"); r.code != 0 {
		t.Fatalf("export with an expired token: %s", r)
	}
	if d := b.count(stsemu.ActionSSODeviceAuthorization) - before; d != 1 {
		t.Fatalf("%d sign-ins for an expired token, want 1", d)
	}
	b.checkHygiene()
}

func TestSSONoTerminalNoBrowserFailsAtOnce(t *testing.T) {
	b := newSSOBox(t, stsemu.SSOOptions{})
	for _, args := range [][]string{
		{"export", "--format", "external", "deploy"},
		{"--no-browser", "exec", "ops", "--", "true"},
	} {
		env := []string{"BROWSER="}
		start := time.Now()
		r := b.detached(env, false, args...)
		if r.code == 0 || !strings.Contains(r.stderr, "no terminal and no browser") || !strings.Contains(r.stderr, "'alirole sso login sso-admin'") {
			t.Fatalf("%v: %s", args, r)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("took %s to fail", d)
		}
	}
	// The login command itself: it must not tell the user to run what
	// they just ran, but why it cannot work here and what to do instead.
	for _, args := range [][]string{
		{"sso", "login", "sso-admin"},
		{"--no-browser", "sso", "login", "sso-admin"},
	} {
		r := b.detached([]string{"BROWSER="}, false, args...)
		why := "no browser can be opened"
		if args[0] == "--no-browser" {
			why = "--no-browser (or ALIROLE_NO_BROWSER) turned the browser off"
		}
		if r.code == 0 || !strings.Contains(r.stderr, "a CloudSSO sign-in needs a terminal") || !strings.Contains(r.stderr, why) ||
			!strings.Contains(r.stderr, "--no-browser prints the URL and code only on a terminal") || !strings.Contains(r.stderr, "from an interactive terminal") ||
			strings.Contains(r.stderr, "in a terminal first") {
			t.Fatalf("%v: %s", args, r)
		}
	}
	if n := b.portalAndSTSCalls(); n != 0 {
		t.Fatalf("%d portal calls", n)
	}
}

func TestSSOExpiredDeviceCodeAndTimeout(t *testing.T) {
	b := newSSOBox(t, stsemu.SSOOptions{DeviceCodeTTL: 2 * time.Second})
	r := b.detached([]string{"SSO_NO_APPROVE=1"}, false, "sso", "login", "sso-admin")
	if r.code == 0 || !strings.Contains(r.stderr, "the sign-in request expired before it was approved") {
		t.Fatalf("want an expiry error: %s", r)
	}
	b.emu.SetSSOOptions(stsemu.SSOOptions{Interval: time.Second, EnforceInterval: true})
	r = b.detached([]string{"SSO_NO_APPROVE=1"}, false, "--login-timeout", "3s", "sso", "login", "sso-admin")
	if r.code == 0 || !strings.Contains(r.stderr, "the sign-in was not approved in time: gave up after 3s") {
		t.Fatalf("want a timeout error: %s", r)
	}
	// Logout drops the token and the sessions made with it.
	if r := b.detached(nil, true, "export", "--format", "external", "deploy"); r.code != 0 {
		t.Fatalf("export: %s", r)
	}
	r = b.detached(nil, false, "sso", "logout", b.signInURL)
	if r.code != 0 || !strings.Contains(r.stderr, "token removed, 3 cached session(s) removed") {
		t.Fatalf("logout: %s", r)
	}
	before := b.count(stsemu.ActionSSODeviceAuthorization)
	if r := b.detached(nil, true, "export", "--format", "external", "deploy"); r.code != 0 || b.count(stsemu.ActionSSODeviceAuthorization) != before+1 {
		t.Fatalf("export after logout did not sign in again: %s", r)
	}
	b.checkHygiene()
}
