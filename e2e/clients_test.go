package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alirole/alirole/internal/stsemu"
)

// The tests in this file run every delivery path through the models of the
// aliyun CLI and the Terraform provider in e2e/clients (see their package
// comments for the client source each rule follows).

// modelRun is one JSON line of the aliyun CLI model.
type modelRun struct {
	ConfigPath  string `json:"config_path"`
	Profile     string `json:"profile"`
	Mode        string `json:"mode"`
	Region      string `json:"region"`
	AccessKeyID string `json:"access_key_id"`
	Arn         string `json:"arn"`
	URIFetches  int    `json:"uri_fetches"`
}

// withClients returns extra variables that put the client models first on
// PATH and point them at the emulator.
func withClients(s *sandbox, extra ...string) []string {
	return append([]string{
		"PATH=" + clientsDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"ALIROLE_MODEL_STS=" + s.emu.HTTPEndpoint(),
	}, extra...)
}

// runClient runs a client model directly with the sandbox environment.
func (s *sandbox) runClient(extra []string, name string, args ...string) result {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(clientsDir, name), args...)
	cmd.Env = append(append([]string{}, s.env...), extra...)
	r, err := runCommand(cmd)
	if err != nil {
		s.t.Fatal(err)
	}
	return r
}

func parseModel(t *testing.T, r result) modelRun {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("aliyun CLI model: %s", r)
	}
	var m modelRun
	if err := json.Unmarshal([]byte(strings.TrimSpace(r.stdout)), &m); err != nil {
		t.Fatalf("%v: %s", err, r)
	}
	return m
}

// TestAliyunCLIUnderExecActsInProfileRegion: `exec prod -- aliyun …` makes
// the CLI act in prod's region (cn-shanghai), and --region wins; the
// private config file is 0600 and gone after the CLI exits.
func TestAliyunCLIUnderExecActsInProfileRegion(t *testing.T) {
	s, _ := ready(t)
	env := withClients(s)
	m := parseModel(t, s.run(env, "exec", "prod", "--", "aliyun", "sts", "GetCallerIdentity"))
	if m.Region != "cn-shanghai" || m.Mode != "StsToken" || !strings.Contains(m.Arn, ":assumed-role/prod/") {
		t.Errorf("exec prod -- aliyun: %+v", m)
	}
	if m.ConfigPath == "" {
		t.Errorf("the CLI was not given a config file: %+v", m)
	} else if _, err := os.Stat(m.ConfigPath); !os.IsNotExist(err) {
		t.Errorf("the CLI's config file %s is still there after it exited (%v)", m.ConfigPath, err)
	}
	m = parseModel(t, s.run(env, "exec", "--region", "eu-central-1", "prod", "--", "aliyun", "sts", "GetCallerIdentity"))
	if m.Region != "eu-central-1" {
		t.Errorf("exec --region: %+v", m)
	}
	// The CLI's own --region still wins over the profile's region.
	m = parseModel(t, s.run(env, "exec", "prod", "--", "aliyun", "--region", "ap-southeast-1", "sts", "GetCallerIdentity"))
	if m.Region != "ap-southeast-1" {
		t.Errorf("aliyun --region: %+v", m)
	}
	// A profile without a region: the CLI's own default, as before.
	m = parseModel(t, s.run(env, "exec", "admin", "--", "aliyun", "sts", "GetCallerIdentity"))
	if m.Region != "cn-hangzhou" && m.Region != "" {
		t.Errorf("admin inherits alice's cn-hangzhou: %+v", m)
	}
	// What the file holds: one profile, no secret, 0600 in a 0700 directory.
	bin := t.TempDir()
	script := "#!/bin/sh\nwhile [ $# -gt 0 ]; do if [ \"$1\" = --config-path ]; then f=$2; fi; shift; done\n" +
		"stat -c '%a' \"$f\" \"$(dirname \"$f\")\"; cat \"$f\"\n"
	if err := os.WriteFile(filepath.Join(bin, "aliyun"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	r := s.run([]string{"PATH=" + bin + ":" + os.Getenv("PATH")}, "exec", "prod", "--", "aliyun", "ecs", "DescribeRegions")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "600\n700\n") {
		t.Fatalf("config file permissions: %s", r)
	}
	want := jsonVars(t, s, "prod")
	for _, secret := range []string{want["ALIBABA_CLOUD_ACCESS_KEY_SECRET"], want["ALIBABA_CLOUD_SECURITY_TOKEN"], want["ALIBABA_CLOUD_ACCESS_KEY_ID"]} {
		if strings.Contains(r.stdout, secret) {
			t.Fatalf("the CLI's config file holds a credential:\n%s", r.stdout)
		}
	}
	if !strings.Contains(r.stdout, `"region_id": "cn-shanghai"`) || !strings.Contains(r.stdout, `"mode": "StsToken"`) {
		t.Errorf("config file: %s", r.stdout)
	}
}

// TestAliyunCLIInShellUnderExec: a CLI started by another program (here a
// shell) gets the environment with IGNORE_PROFILE and so, like the real
// CLI, acts in cn-hangzhou unless given --region — what the README says.
// Stale role variables do not turn a long-term key into a RamRoleArn
// profile.
func TestAliyunCLIInShellUnderExec(t *testing.T) {
	s, _ := ready(t)
	env := withClients(s, "ALIBABACLOUD_ROLE_ARN=acs:ram::1111222233334444:role/stale", "SECURITY_TOKEN=stale",
		"ALIBABA_CLOUD_PROFILE_MODE=Anonymous")
	m := parseModel(t, s.run(env, "exec", "prod", "--", "sh", "-c", "aliyun sts GetCallerIdentity"))
	if m.Region != "cn-hangzhou" || !strings.Contains(m.Arn, ":assumed-role/prod/") {
		t.Errorf("aliyun in a shell: %+v", m)
	}
	m = parseModel(t, s.run(env, "exec", "prod", "--", "sh", "-c", "aliyun --region cn-shanghai sts GetCallerIdentity"))
	if m.Region != "cn-shanghai" {
		t.Errorf("aliyun --region in a shell: %+v", m)
	}
	// A command line that picks its own profile is left alone.
	m = parseModel(t, s.run(env, "exec", "prod", "--", "aliyun", "--profile", "mine", "sts", "GetCallerIdentity"))
	if m.Region != "cn-hangzhou" || m.ConfigPath != "" {
		t.Errorf("aliyun --profile under exec: %+v", m)
	}
	// So is one of the CLI's own configure/plugin commands (the model
	// treats "configure" as a product and just reports what it used).
	m = parseModel(t, s.run(env, "exec", "prod", "--", "aliyun", "configure", "list"))
	if m.ConfigPath != "" {
		t.Errorf("aliyun configure under exec got a temporary config: %+v", m)
	}
	m = parseModel(t, s.run(env, "exec", "alice", "--", "sh", "-c", "aliyun sts GetCallerIdentity"))
	if m.Mode != "AK" || !strings.HasSuffix(m.Arn, ":user/alice") {
		t.Errorf("long-term key with stale role/token variables: %+v", m)
	}
}

// TestAliyunCLIUnderExecServer: the CLI cannot read a credentials URI from
// the environment, so exec --server hands it a CredentialsURI profile; each
// CLI run fetches the server once.
func TestAliyunCLIUnderExecServer(t *testing.T) {
	s, _ := ready(t)
	env := withClients(s)
	m := parseModel(t, s.run(env, "exec", "--server", "prod", "--", "aliyun", "sts", "GetCallerIdentity"))
	if m.Mode != "CredentialsURI" || m.URIFetches != 1 || m.Region != "cn-shanghai" || !strings.Contains(m.Arn, ":assumed-role/prod/") {
		t.Errorf("exec --server -- aliyun: %+v", m)
	}
	// The environment alone (what a CLI in a shell under --server sees)
	// is not enough for the CLI: the model reproduces the real error.
	r := s.run(env, "exec", "--server", "prod", "--", "sh", "-c", "aliyun sts GetCallerIdentity")
	if r.code == 0 || !strings.Contains(r.stderr, "profile default is not configure yet") {
		t.Errorf("aliyun in a shell under --server: %s", r)
	}
}

// TestAliyunCLIThroughSetupCLI: the External profile setup-cli writes,
// read by the CLI model: the mode comes from the JSON's "mode" field, the
// region from the profile; and setup-cli's hint names the config file.
func TestAliyunCLIThroughSetupCLI(t *testing.T) {
	s, _ := ready(t)
	cfg := s.path("elsewhere/config.json")
	r := s.ok("setup-cli", "--cli-config", cfg, "prod")
	if !strings.Contains(r.stderr, "Try: aliyun --config-path "+cfg+" --profile prod ") {
		t.Errorf("setup-cli hint lacks --config-path: %s", r.stderr)
	}
	// Run the CLI model directly, as a user would after setup-cli.
	m := parseModel(t, s.runClient(withClients(s), "aliyun", "--config-path", cfg, "--profile", "prod", "sts", "GetCallerIdentity"))
	if m.Mode != "StsToken" || m.Region != "cn-shanghai" || !strings.Contains(m.Arn, ":assumed-role/prod/") {
		t.Errorf("External profile: %+v", m)
	}
}

// tfLine is one JSON line of the Terraform model.
type tfLine struct {
	Config *struct {
		Region, Source, AssumeRoleArn string
		URIFetches                    int
	} `json:"config"`
	Arn   string `json:"arn"`
	Error string `json:"error"`
}

func parseTF(t *testing.T, out string) []tfLine {
	t.Helper()
	var lines []tfLine
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var tl tfLine
		if err := json.Unmarshal([]byte(l), &tl); err != nil {
			t.Fatalf("%v: %q", err, l)
		}
		lines = append(lines, tl)
	}
	return lines
}

// TestTerraformUnderExec: the provider model gets prod's credentials and
// region from exec's environment, and from exec --server's URI (once).
func TestTerraformUnderExec(t *testing.T) {
	s, _ := ready(t)
	r := s.run(withClients(s), "exec", "prod", "--", "terraform", "-calls", "2")
	lines := parseTF(t, r.stdout)
	if r.code != 0 || lines[0].Config.Region != "cn-shanghai" || lines[0].Config.Source != "environment" || !strings.Contains(lines[2].Arn, ":assumed-role/prod/") {
		t.Errorf("exec -- terraform: %s", r)
	}
	r = s.run(withClients(s), "exec", "--server", "prod", "--", "terraform", "-calls", "2")
	lines = parseTF(t, r.stdout)
	if r.code != 0 || lines[0].Config.Source != "credentials_uri" || lines[0].Config.URIFetches != 1 || !strings.Contains(lines[2].Arn, ":assumed-role/prod/") {
		t.Errorf("exec --server -- terraform: %s", r)
	}
}

// TestTerraformStaleAssumeRoleVariables: with an assume_role {} block, a
// stale ALICLOUD_ASSUME_ROLE_ARN (or its twins) must not reach the provider.
func TestTerraformStaleAssumeRoleVariables(t *testing.T) {
	s, _ := ready(t)
	stale := "acs:ram::1111222233334444:role/stale"
	env := withClients(s, "ALICLOUD_ASSUME_ROLE_ARN="+stale, "ALICLOUD_ASSUME_ROLE_SESSION_NAME=stale",
		"ALICLOUD_ASSUME_ROLE_SESSION_EXPIRATION=900", "ALIBABA_CLOUD_ROLE_ARN="+stale)
	r := s.run(env, "exec", "prod", "--", "terraform", "-assume-role-block")
	if strings.Contains(r.stdout, "stale") {
		t.Errorf("the provider saw a stale assume_role setting: %s", r)
	}
	r = s.run(env, "exec", "prod", "--", "sh", "-c", "env")
	for _, n := range []string{"ALICLOUD_ASSUME_ROLE_ARN", "ALICLOUD_ASSUME_ROLE_SESSION_NAME", "ALICLOUD_ASSUME_ROLE_SESSION_EXPIRATION"} {
		if strings.Contains(r.stdout, n+"=") {
			t.Errorf("child still has %s", n)
		}
	}
}

// TestTerraformApplyOutlivesSession: the provider reads credentials once,
// so an apply longer than its session fails even under --server (the
// server refreshes, the provider never asks again); exec warns first.
func TestTerraformApplyOutlivesSession(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a short session to expire")
	}
	s, emu := ready(t)
	emu.Inject(stsemu.Fault{Action: "AssumeRole", RoleArn: prodArn, TokenLifetime: 15 * time.Second})
	r := s.run(withClients(s), "--expiry-window", "5s", "exec", "--server", "prod", "--", "terraform", "-calls", "2", "-interval", "17s")
	lines := parseTF(t, r.stdout)
	if r.code == 0 || len(lines) != 3 || !strings.Contains(lines[1].Arn, ":assumed-role/prod/") || !strings.Contains(lines[2].Error, "InvalidSecurityToken.Expired") {
		t.Errorf("a provider that read the URI once should fail after its session: %s", r)
	}
	if !strings.Contains(r.stderr, "sooner than --min-session") {
		t.Errorf("no warning before the run: %s", r.stderr)
	}
	// Separate provider runs under one exec --server each fetch the
	// server's current session, so the second works after the first
	// session ended.
	r = s.run(withClients(s), "--expiry-window", "5s", "exec", "--server", "prod", "--", "sh", "-c", "terraform && sleep 17 && terraform")
	lines = parseTF(t, r.stdout)
	if r.code != 0 || len(lines) != 4 || !strings.Contains(lines[3].Arn, ":assumed-role/prod/") {
		t.Errorf("two runs under one exec --server: %s", r)
	}
}

// TestExecMinSession: a cached session that ends within --min-session is
// replaced by a fresh one before the run; when even a fresh one is too
// short, exec says so and how to fix it.
func TestExecMinSession(t *testing.T) {
	s, emu := ready(t)
	emu.Inject(stsemu.Fault{Action: "AssumeRole", RoleArn: prodArn, TokenLifetime: 8 * time.Minute, Times: 1})
	s.ok("export", "prod")
	r := s.run(nil, "exec", "prod", "--", "true")
	if r.code != 0 || strings.Contains(r.stderr, "warning") || emu.Count("AssumeRole", prodArn) != 2 {
		t.Errorf("an 8-minute cached session should have been refreshed silently (prod calls %d): %s", emu.Count("AssumeRole", prodArn), r)
	}
	emu.Inject(stsemu.Fault{Action: "AssumeRole", RoleArn: prodArn, TokenLifetime: 10 * time.Minute})
	r = s.run(nil, "exec", "--min-session", "1h", "prod", "--", "true")
	if r.code != 0 || !strings.Contains(r.stderr, "sooner than --min-session 1h0m0s") || !strings.Contains(r.stderr, "MaxSessionDuration") {
		t.Errorf("no warning for a session shorter than --min-session: %s", r)
	}
	if r := s.run([]string{"ALIROLE_MIN_SESSION=0"}, "exec", "prod", "--", "true"); strings.Contains(r.stderr, "warning") {
		t.Errorf("ALIROLE_MIN_SESSION=0 should disable the check: %s", r)
	}
	// The profile's min_session applies when no flag or variable is given;
	// either overrides it.
	if !strings.Contains(chainConfig, "[profile prod]\n") {
		t.Fatal("chainConfig changed: no [profile prod] line")
	}
	s.writeConfig(strings.Replace(chainConfig, "[profile prod]\n", "[profile prod]\nmin_session = 1h\n", 1))
	if r := s.run(nil, "exec", "prod", "--", "true"); r.code != 0 || !strings.Contains(r.stderr, "sooner than --min-session 1h0m0s") {
		t.Errorf("min_session = 1h gave no warning for a 10-minute session: %s", r)
	}
	if r := s.run(nil, "exec", "--min-session", "0", "prod", "--", "true"); strings.Contains(r.stderr, "warning") {
		t.Errorf("--min-session 0 should override min_session: %s", r)
	}
}

// TestSetupCLICarriesOptions: setup-cli run with a config file, backend,
// file directory and keyring name of its own (paths with spaces) writes a
// process_command that works from a shell that has none of them set; the
// CLI model runs it the way the CLI does (quote-aware split, no shell).
func TestSetupCLICarriesOptions(t *testing.T) {
	emu, ca := newEmulator(t)
	s := newSandbox(t, emu, ca)
	dir := s.path("odd place")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "alirole config")
	if err := os.WriteFile(conf, []byte(chainConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	opts := []string{"--config", conf, "--backend", "file", "--file-dir", filepath.Join(dir, "my keys"), "--keyring-name", "team-ring"}
	r := s.run([]string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + aliceKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + aliceSecret}, append(opts, "add", "--env", "alice")...)
	if r.code != 0 {
		t.Fatal(r)
	}
	cliCfg := s.path("home/.aliyun/config.json")
	if r := s.run(nil, append(opts, "setup-cli", "prod")...); r.code != 0 {
		t.Fatal(r)
	}
	// The shell the CLI runs in later: only the passphrase is shared.
	var env []string
	for _, kv := range s.env {
		if !strings.HasPrefix(kv, "ALIROLE_CONFIG_FILE=") && !strings.HasPrefix(kv, "ALIROLE_FILE_DIR=") && !strings.HasPrefix(kv, "ALIROLE_BACKEND=") {
			env = append(env, kv)
		}
	}
	s.env = env
	m := parseModel(t, s.runClient(withClients(s), "aliyun", "--profile", "prod", "sts", "GetCallerIdentity"))
	if m.Mode != "StsToken" || !strings.Contains(m.Arn, ":assumed-role/prod/") || m.ConfigPath != cliCfg {
		t.Errorf("External profile with carried options: %+v", m)
	}
}

// TestAliyunCLIExternalModeField: the CLI decodes External output into the
// profile, so its "mode" decides what it does next: alirole writes StsToken
// for a role and AK for a long-term key; output without a mode would make
// the real CLI run the command forever.
func TestAliyunCLIExternalModeField(t *testing.T) {
	s, _ := ready(t)
	cfg := s.path("cli.json")
	s.ok("setup-cli", "--cli-config", cfg, "alice")
	m := parseModel(t, s.runClient(withClients(s), "aliyun", "--config-path", cfg, "--profile", "alice", "sts", "GetCallerIdentity"))
	if m.Mode != "AK" || !strings.HasSuffix(m.Arn, ":user/alice") {
		t.Errorf("External profile of a long-term key: %+v", m)
	}
	script := s.path("nomode.sh")
	os.WriteFile(script, []byte("#!/bin/sh\necho '{\"access_key_id\":\"a\",\"access_key_secret\":\"b\"}'\n"), 0o755)
	writeCLIConfig(t, s.path("nomode.json"), cliProfile{Name: "x", Mode: "External", ProcessCommand: script, RegionId: "cn-hangzhou"})
	r := s.runClient(withClients(s), "aliyun", "--config-path", s.path("nomode.json"), "sts", "GetCallerIdentity")
	if r.code == 0 || !strings.Contains(r.stderr, "again forever") {
		t.Errorf("External output without a mode: %s", r)
	}
}
