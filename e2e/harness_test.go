// Package e2e drives the real alirole binary the way users do, against the
// local STS emulator and a throwaway file keychain.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alirole/alirole/internal/stsemu"
)

// binPath is the alirole binary built once for all tests; testCA signs
// every emulator's certificate, and caPath (its PEM) is what both this
// process and the alirole processes trust through SSL_CERT_FILE.
var (
	binPath     string
	gocredPath  string // gocred: a Go SDK program reading the environment
	gendocsPath string // internal/gendocs: renders docs/ from the CLI definition
	clientsDir  string // models of the aliyun CLI and Terraform (e2e/clients), named as the real ones
	testCA      *stsemu.CA
	caPath      string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "alirole-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binPath = filepath.Join(dir, "alirole")
	gocredPath = filepath.Join(dir, "gocred")
	gendocsPath = filepath.Join(dir, "gendocs")
	clientsDir = filepath.Join(dir, "clients")
	// alirole is built as it ships (scripts/build); the helpers plainly.
	builds := map[string][]string{
		binPath:     {"../scripts/build", binPath},
		gocredPath:  {"go", "build", "-o", gocredPath, "./gocred"},
		gendocsPath: {"go", "build", "-o", gendocsPath, "../internal/gendocs"},
	}
	for _, client := range []string{"aliyun", "terraform"} {
		out := filepath.Join(clientsDir, client)
		builds[out] = []string{"go", "build", "-o", out, "./clients/" + client}
	}
	for out, argv := range builds {
		build := exec.Command(argv[0], argv[1:]...)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build", out+":", err)
			os.Exit(2)
		}
	}
	if testCA, err = stsemu.NewCA(); err == nil {
		caPath = filepath.Join(dir, "ca.pem")
		err = testCA.WriteFile(caPath)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "test CA:", err)
		os.Exit(2)
	}
	// Go reads SSL_CERT_FILE once per process: set it before any TLS use.
	os.Setenv("SSL_CERT_FILE", caPath)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Test world: user alice -> admin (2 h max) -> prod -> audit (external id).
const (
	acct        = "1111222233334444"
	aliceKeyID  = "LTAI5tAliceKey0000000001"
	aliceSecret = "AliceSecret/with+odd=chars0123"
	auditExtID  = "audit-ext-2026"
)

var (
	adminArn = stsemu.RoleARN(acct, "admin")
	prodArn  = stsemu.RoleARN(acct, "prod")
	auditArn = stsemu.RoleARN(acct, "audit")
)

func testWorld() *stsemu.World {
	return &stsemu.World{Accounts: []stsemu.Account{{
		ID:    acct,
		Users: []stsemu.User{{Name: "alice", AccessKeys: []stsemu.AccessKey{{ID: aliceKeyID, Secret: aliceSecret}}}},
		Roles: []stsemu.Role{
			{Name: "admin", MaxSessionDuration: 7200, Trust: []stsemu.Trust{{Principal: stsemu.UserARN(acct, "alice")}}},
			{Name: "prod", Trust: []stsemu.Trust{{Principal: adminArn}}},
			{Name: "audit", Trust: []stsemu.Trust{{Principal: prodArn, ExternalID: auditExtID}}},
		},
	}}}
}

// chainConfig is the 3-hop profile file used by most tests.
const chainConfig = `
[profile alice]
region_id = cn-hangzhou

[profile admin]
source_profile = alice
ram_role_arn = acs:ram::1111222233334444:role/admin
duration = 2h

[profile prod]
source_profile = admin
ram_role_arn = acs:ram::1111222233334444:role/prod
ram_session_name = e2e-prod
region_id = cn-shanghai

[profile audit]
source_profile = prod
ram_role_arn = acs:ram::1111222233334444:role/audit
external_id = audit-ext-2026
`

// newEmulator starts a fresh emulator for one test (its own call log).
func newEmulator(t *testing.T) (*stsemu.Server, string) {
	t.Helper()
	return newEmulatorWith(t, testWorld())
}

// newEmulatorWith starts a fresh emulator with a world of the test's
// choosing; every emulator's certificate comes from testCA.
func newEmulatorWith(t *testing.T, world *stsemu.World) (*stsemu.Server, string) {
	t.Helper()
	return startEmulator(t, world, stsemu.Options{}), caPath
}

// startEmulator starts an emulator of world with o (its certificate from
// testCA) on TLS and plain HTTP, closed when the test ends.
func startEmulator(t *testing.T, world *stsemu.World, o stsemu.Options) *stsemu.Server {
	t.Helper()
	o.CA = testCA
	srv, err := stsemu.New(world, o)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.StartTLS("127.0.0.1:0", ""); err != nil {
		t.Fatal(err)
	}
	if err := srv.StartHTTP("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// sandbox is one user's machine: home, config, file keychain, lock dir.
type sandbox struct {
	t   *testing.T
	dir string
	env []string
	emu *stsemu.Server
}

const passphrase = "e2e file keychain passphrase"

func newSandbox(t *testing.T, emu *stsemu.Server, ca string) *sandbox {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"home", "run", "cache"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	s := &sandbox{t: t, dir: dir, emu: emu}
	s.env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(dir, "home"),
		"ALIROLE_CONFIG_FILE=" + filepath.Join(dir, "config"),
		"ALIROLE_BACKEND=file",
		"ALIROLE_FILE_DIR=" + filepath.Join(dir, "keys"),
		"ALIROLE_FILE_PASSPHRASE=" + passphrase,
		"XDG_RUNTIME_DIR=" + filepath.Join(dir, "run"),
		"XDG_CACHE_HOME=" + filepath.Join(dir, "cache"),
		"ALIBABA_CLOUD_ECS_METADATA_DISABLED=true",
	}
	if emu != nil {
		s.env = append(s.env, "SSL_CERT_FILE="+ca, "ALIROLE_STS_ENDPOINT="+emu.Endpoint())
	}
	return s
}

func (s *sandbox) path(rel string) string { return filepath.Join(s.dir, rel) }

func (s *sandbox) writeConfig(text string) {
	s.t.Helper()
	if err := os.WriteFile(s.path("config"), []byte(text), 0o600); err != nil {
		s.t.Fatal(err)
	}
}

type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// run runs alirole with the sandbox environment plus extra variables.
func (s *sandbox) run(extra []string, args ...string) result {
	s.t.Helper()
	r, err := s.start(extra, 60*time.Second, args...)
	if err != nil {
		s.t.Fatalf("run alirole %v: %v", args, err)
	}
	return r
}

// start runs alirole and waits for it; err says only that it could not be
// run at all. Safe from goroutines (it never calls t.Fatal).
func (s *sandbox) start(extra []string, timeout time.Duration, args ...string) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = append(append([]string{}, s.env...), extra...)
	return runCommand(cmd)
}

// runCommand runs cmd and collects its output and exit status; err says
// only that it could not be run at all.
func runCommand(cmd *exec.Cmd) (result, error) {
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code, err = ee.ExitCode(), nil
	}
	return result{out.String(), errb.String(), code}, err
}

// ok runs alirole and fails the test unless it exits 0.
func (s *sandbox) ok(args ...string) result {
	s.t.Helper()
	r := s.run(nil, args...)
	if r.code != 0 {
		s.t.Fatalf("alirole %s: %s", strings.Join(args, " "), r)
	}
	return r
}

// addAlice stores alice's key with `alirole add --env`.
func (s *sandbox) addAlice() {
	s.t.Helper()
	r := s.run([]string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + aliceKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + aliceSecret}, "add", "--env", "alice")
	if r.code != 0 {
		s.t.Fatalf("add: %s", r)
	}
}

// addAliceForce stores alice's key again over whatever is stored.
func (s *sandbox) addAliceForce() {
	s.t.Helper()
	r := s.run([]string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + aliceKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + aliceSecret}, "add", "--env", "--force", "alice")
	if r.code != 0 {
		s.t.Fatalf("add --force: %s", r)
	}
}
