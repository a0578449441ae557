package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aliyun/credentials-go/credentials/providers"

	"github.com/alirole/alirole/internal/stsemu"
	"github.com/alirole/alirole/internal/testkit"
)

// ready returns a sandbox with the 3-hop config and alice's key stored.
func ready(t *testing.T) (*sandbox, *stsemu.Server) {
	t.Helper()
	emu, ca := newEmulator(t)
	s := newSandbox(t, emu, ca)
	s.writeConfig(chainConfig)
	s.addAlice()
	return s, emu
}

// jsonVars exports a profile as JSON (a cache hit after the first call).
func jsonVars(t *testing.T, s *sandbox, profile string) map[string]string {
	t.Helper()
	var m map[string]string
	if err := json.Unmarshal([]byte(s.ok("export", "--format", "json", profile).stdout), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func envMap(lines string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(lines, "\x00") {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	return m
}

func TestExecChildEnvironment(t *testing.T) {
	s, _ := ready(t)
	stale := []string{
		"ALIBABA_CLOUD_ACCESS_KEY_ID=stale", "ALIBABACLOUD_ACCESS_KEY_SECRET=stale", "ALICLOUD_SECURITY_TOKEN=stale",
		"ALIBABA_CLOUD_PROFILE=stale", "ALIBABA_CLOUD_CREDENTIALS_URI=http://stale", "ACCESS_KEY_ID=stale",
		"KEEP_ME=yes",
	}
	r := s.run(stale, "exec", "prod", "--", "sh", "-c", "env -0")
	if r.code != 0 {
		t.Fatal(r)
	}
	env := envMap(r.stdout)
	want := jsonVars(t, s, "prod")
	for name, value := range want {
		if env[name] != value {
			t.Errorf("child %s = %q, want %q", name, env[name], value)
		}
	}
	for _, name := range []string{
		"ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALIBABA_CLOUD_SECURITY_TOKEN",
		"ALIBABACLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY", "ALICLOUD_SECURITY_TOKEN",
		"ALIBABA_CLOUD_REGION_ID", "ALICLOUD_REGION", "ALIBABA_CLOUD_IGNORE_PROFILE", "ALIBABACLOUD_IGNORE_PROFILE",
		"ALIROLE_PROFILE", "ALIROLE_SESSION_EXPIRATION",
	} {
		if env[name] == "" {
			t.Errorf("child lacks %s", name)
		}
	}
	if env["ALIBABA_CLOUD_REGION_ID"] != "cn-shanghai" || env["ALIROLE_PROFILE"] != "prod" {
		t.Errorf("region/profile: %q %q", env["ALIBABA_CLOUD_REGION_ID"], env["ALIROLE_PROFILE"])
	}
	for _, gone := range []string{"ALIBABA_CLOUD_PROFILE", "ALIBABA_CLOUD_CREDENTIALS_URI", "ACCESS_KEY_ID", "ALIROLE_FILE_PASSPHRASE"} {
		if _, ok := env[gone]; ok {
			t.Errorf("child still has %s", gone)
		}
	}
	if env["KEEP_ME"] != "yes" || strings.Contains(r.stdout, "stale") {
		t.Errorf("unrelated variables must survive and stale ones must not")
	}
	// --region overrides the profile's region.
	r = s.run(nil, "exec", "--region", "eu-central-1", "prod", "--", "sh", "-c", `printf %s "$ALICLOUD_REGION"`)
	if r.stdout != "eu-central-1" {
		t.Errorf("--region: %s", r)
	}
}

func TestExecExitCodesAndNesting(t *testing.T) {
	s, _ := ready(t)
	for _, code := range []int{0, 1, 7} {
		r := s.run(nil, "exec", "prod", "--", "sh", "-c", "exit "+string(rune('0'+code)))
		if r.code != code {
			t.Errorf("exit %d: got %d", code, r.code)
		}
	}
	// In server mode alirole stays the parent: 128+signal like a shell.
	if r := s.run(nil, "exec", "--server", "prod", "--", "sh", "-c", "kill -INT $$"); r.code != 130 {
		t.Errorf("child killed by SIGINT: exit %d, want 130\n%s", r.code, r)
	}
	if r := s.run(nil, "exec", "--server", "prod", "--", "sh", "-c", "exit 7"); r.code != 7 {
		t.Errorf("server mode exit 7: %s", r)
	}
	r := s.run([]string{"ALIROLE_PROFILE=outer"}, "exec", "prod", "--", "true")
	if r.code == 0 || !strings.Contains(r.stderr, "--force-nested") || !strings.Contains(r.stderr, "unset ALIROLE_PROFILE") {
		t.Errorf("nested exec should be refused with advice: %s", r)
	}
	if r := s.run([]string{"ALIROLE_PROFILE=outer"}, "exec", "--force-nested", "prod", "--", "true"); r.code != 0 {
		t.Errorf("--force-nested: %s", r)
	}
	if r := s.run(nil, "exec", "prod", "--", "no-such-command-xyz"); r.code == 0 || !strings.Contains(r.stderr, "no-such-command-xyz") {
		t.Errorf("missing command: %s", r)
	}
}

func TestExecForwardsSIGTERM(t *testing.T) {
	s, _ := ready(t)
	for _, mode := range [][]string{{"exec", "prod"}, {"exec", "--server", "prod"}} {
		args := append(append([]string{}, mode...), "--", "sh", "-c", `trap 'echo got-term; exit 42' TERM; echo started; while :; do sleep 0.05; done`)
		cmd := exec.Command(binPath, args...)
		cmd.Env = s.env
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		if !lines.Scan() || lines.Text() != "started" {
			t.Fatalf("%v: child did not start", mode)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		lines.Scan()
		got := lines.Text()
		err := cmd.Wait()
		if got != "got-term" || cmd.ProcessState.ExitCode() != 42 {
			t.Errorf("%v: child saw %q, exit %d (%v)", mode, got, cmd.ProcessState.ExitCode(), err)
		}
	}
}

// TestGoSDKReadsExecEnvironment: a Go program on credentials-go's default
// chain picks up the exec'd credentials and STS accepts them as the role.
func TestGoSDKReadsExecEnvironment(t *testing.T) {
	s, emu := ready(t)
	r := s.run(nil, "exec", "audit", "--", gocredPath, "-sts", emu.HTTPEndpoint())
	if r.code != 0 {
		t.Fatal(r)
	}
	var got round
	json.Unmarshal([]byte(r.stdout), &got)
	want := jsonVars(t, s, "audit")
	if got.AccessKeyID != want["ALIBABA_CLOUD_ACCESS_KEY_ID"] || got.SecurityToken != want["ALIBABA_CLOUD_SECURITY_TOKEN"] {
		t.Fatalf("credentials-go saw other credentials: %+v", got.AccessKeyID)
	}
	if !strings.HasSuffix(got.Arn, ":assumed-role/audit/"+sessionUser(t)) {
		t.Fatalf("STS sees %q", got.Arn)
	}
}

type round struct {
	AccessKeyID   string `json:"access_key_id"`
	SecurityToken string `json:"security_token"`
	Provider      string `json:"provider"`
	Arn           string `json:"arn"`
}

// TestServerRefreshesAcrossShortSessions runs a Go SDK program under exec
// --server while STS issues sessions that only last 20 s: the program keeps
// working past the first session's end because the server refreshes.
func TestServerRefreshesAcrossShortSessions(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a short session to expire")
	}
	s, emu := ready(t)
	emu.Inject(stsemu.Fault{Action: "AssumeRole", RoleArn: prodArn, TokenLifetime: 20 * time.Second})
	// --min-session 0: the 20 s sessions would otherwise be fetched twice
	// before the start (see TestExecMinSession).
	r := s.run(nil, "--expiry-window", "10s", "exec", "--server", "--min-session", "0", "prod", "--",
		gocredPath, "-sts", emu.HTTPEndpoint(), "-rounds", "3", "-interval", "12s")
	if r.code != 0 {
		t.Fatal(r)
	}
	var rounds []round
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		var rd round
		if err := json.Unmarshal([]byte(line), &rd); err != nil {
			t.Fatalf("%v: %q", err, line)
		}
		if !strings.Contains(rd.Arn, ":assumed-role/prod/") || !strings.Contains(rd.Provider, "credential_uri") {
			t.Fatalf("round: %+v", rd)
		}
		rounds = append(rounds, rd)
	}
	if len(rounds) != 3 || rounds[0].AccessKeyID == rounds[2].AccessKeyID {
		t.Fatalf("the session should have been refreshed: %+v", rounds)
	}
	if n := emu.Count("AssumeRole", prodArn); n < 2 || n > 3 {
		t.Fatalf("prod AssumeRole calls = %d, want 2..3", n)
	}
}

// TestExternalModeWithCredentialsGo: an aliyun CLI config whose External
// profile (written by setup-cli) runs alirole, read by credentials-go.
func TestExternalModeWithCredentialsGo(t *testing.T) {
	s, emu := ready(t)
	cliConfig := s.path("home/.aliyun/config.json")
	s.ok("setup-cli", "--cli-config", cliConfig, "audit")
	// credentials-go runs the command with this process's environment.
	for _, kv := range s.env {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	p, err := providers.NewCLIProfileCredentialsProviderBuilder().WithProfileFile(cliConfig).WithProfileName("audit").Build()
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.GetCredentials()
	if err != nil {
		t.Fatal(err)
	}
	want := jsonVars(t, s, "audit")
	if c.AccessKeyId != want["ALIBABA_CLOUD_ACCESS_KEY_ID"] || c.SecurityToken != want["ALIBABA_CLOUD_SECURITY_TOKEN"] {
		t.Fatalf("External mode gave other credentials")
	}
	if arn := callerArn(t, emu, c.AccessKeyId, c.AccessKeySecret, c.SecurityToken); !strings.Contains(arn, ":assumed-role/audit/") {
		t.Fatalf("STS sees %q", arn)
	}
	if got := counts(emu); got != [3]int{1, 1, 1} {
		t.Fatalf("calls = %v", got)
	}
}

func TestEvalExportInShells(t *testing.T) {
	s, _ := ready(t)
	want := jsonVars(t, s, "prod")
	nasty := `it's a "region" with $HOME and \back` + "`tick`"
	script := `eval "$("$ALIROLE" export --region "$NASTY" prod)" && printf '%s\n%s\n%s' "$ALIBABA_CLOUD_SECURITY_TOKEN" "$ALICLOUD_REGION" "$ALIROLE_PROFILE" && eval "$("$ALIROLE" export --unset)" && printf '\n[%s]' "${ALIBABA_CLOUD_ACCESS_KEY_ID-unset}"`
	cmd := exec.Command("bash", "-c", script)
	cmd.Env = append(append([]string{}, s.env...), "ALIROLE="+binPath, "NASTY="+nasty)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err, string(out))
	}
	wantOut := want["ALIBABA_CLOUD_SECURITY_TOKEN"] + "\n" + nasty + "\nprod\n[unset]"
	if string(out) != wantOut {
		t.Fatalf("bash round trip:\n got %q\nwant %q", out, wantOut)
	}

	fish := testkit.LookPath(t, "fish", "fish")
	cmd = exec.Command(fish, "-c", `"$ALIROLE" export --format fish --region "$NASTY" prod | source; and printf '%s\n%s' "$ALIBABA_CLOUD_SECURITY_TOKEN" "$ALICLOUD_REGION"`)
	cmd.Env = append(append([]string{}, s.env...), "ALIROLE="+binPath, "NASTY="+nasty)
	out, err = cmd.CombinedOutput()
	if err != nil || string(out) != want["ALIBABA_CLOUD_SECURITY_TOKEN"]+"\n"+nasty {
		t.Fatalf("fish round trip: %v %q", err, out)
	}
}

// TestNodeClientReadsExecAndServer: the npm @alicloud/credentials client
// reads both the exec'd variables and the credentials server.
func TestNodeClientReadsExecAndServer(t *testing.T) {
	script, _ := filepath.Abs("node/print-credentials.js")
	testkit.LookPath(t, "node", "node")
	if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", "@alicloud", "credentials")); err != nil {
		testkit.Missing(t, "node", "@alicloud/credentials is not installed (cd e2e/node && npm ci)")
	}
	s, _ := ready(t)
	want := jsonVars(t, s, "prod")
	for _, server := range []bool{false, true} {
		args := []string{"exec", "prod", "--", "node", script}
		if server {
			args = []string{"exec", "--server", "prod", "--", "node", script}
		}
		r := s.run(nil, args...)
		if r.code != 0 {
			t.Fatalf("server=%v: %s", server, r)
		}
		var got struct{ AccessKeyID, SecurityToken, ProviderName string }
		var raw map[string]string
		json.Unmarshal([]byte(r.stdout), &raw)
		got.AccessKeyID, got.SecurityToken, got.ProviderName = raw["accessKeyId"], raw["securityToken"], raw["providerName"]
		if got.AccessKeyID != want["ALIBABA_CLOUD_ACCESS_KEY_ID"] || got.SecurityToken != want["ALIBABA_CLOUD_SECURITY_TOKEN"] {
			t.Fatalf("server=%v: node client got other credentials (provider %s)", server, got.ProviderName)
		}
		if server != strings.Contains(got.ProviderName, "credential_uri") {
			t.Errorf("server=%v: provider %q", server, got.ProviderName)
		}
	}
}

func TestExportFormats(t *testing.T) {
	s, _ := ready(t)
	ext := parseExternal(t, s.ok("export", "prod", "--format", "external").stdout)
	if ext.Mode != "StsToken" || len(ext.Expiration) != len("2006-01-02T15:04:05Z") {
		t.Fatalf("external: %+v", ext.Mode)
	}
	ak := parseExternal(t, s.ok("export", "--format", "external", "alice").stdout)
	if ak.Mode != "AK" || ak.AccessKeyID != aliceKeyID || ak.StsToken != "" {
		t.Fatalf("a profile without a role exports its AK: %+v", ak.Mode)
	}
	for format, prefix := range map[string]string{
		"env": "export ALIBABA_CLOUD_ACCESS_KEY_ID=", "fish": "set -gx ALIBABA_CLOUD_ACCESS_KEY_ID ",
		"powershell": "$Env:ALIBABA_CLOUD_ACCESS_KEY_ID = ", "dotenv": "ALIBABA_CLOUD_ACCESS_KEY_ID=",
	} {
		if r := s.ok("export", "--format", format, "prod"); !strings.HasPrefix(r.stdout, prefix) {
			t.Errorf("%s: %q", format, r.stdout)
		}
	}
	if r := s.run([]string{"SHELL=/usr/bin/fish"}, "export", "prod"); !strings.HasPrefix(r.stdout, "set -gx ") {
		t.Errorf("fish not detected from $SHELL: %q", r.stdout)
	}
	if r := s.run(nil, "export", "--format", "yaml", "prod"); r.code == 0 || !strings.Contains(r.stderr, "external") {
		t.Errorf("unknown format: %s", r)
	}
}

func sessionUser(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("id", "-un").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// callerArn signs GetCallerIdentity in this process (plain http to the
// emulator) to see whom STS takes the credentials for.
func callerArn(t *testing.T, emu *stsemu.Server, id, secret, token string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, gocredPath, "-sts", emu.HTTPEndpoint())
	cmd.Env = []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + id, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + secret, "ALIBABA_CLOUD_SECURITY_TOKEN=" + token, "HOME=" + t.TempDir()}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("gocred: %v", err)
	}
	var r round
	json.Unmarshal(out, &r)
	return r.Arn
}
