package e2e

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

func TestAddEnvThenList(t *testing.T) {
	s := newSandbox(t, nil, "")
	s.addAlice()

	r := s.ok("list")
	if !regexpLine(r.stdout, `^alice\s+keychain\s+yes\s+-$`) {
		t.Fatalf("list does not show alice with a stored key:\n%s", r.stdout)
	}
	if r := s.ok("list", "--profiles"); strings.TrimSpace(r.stdout) != "alice" {
		t.Fatalf("list --profiles = %q", r.stdout)
	}
	// add created the profile section.
	cfg, err := os.ReadFile(s.path("config"))
	if err != nil || !strings.Contains(string(cfg), "[profile alice]") {
		t.Fatalf("config after add: %q, %v", cfg, err)
	}
	assertNotInTree(t, s.dir, aliceSecret)
}

func TestAddRefusesRoleHop(t *testing.T) {
	s := newSandbox(t, nil, "")
	s.writeConfig(chainConfig)
	r := s.run([]string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + aliceKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + aliceSecret}, "add", "--env", "prod")
	if r.code == 0 || !strings.Contains(r.stderr, `source_profile "admin"`) {
		t.Fatalf("add on a role hop should be refused naming its source:\n%s", r)
	}
}

func TestAddWithoutTerminalSaysUseEnv(t *testing.T) {
	s := newSandbox(t, nil, "")
	// setsid detaches from any controlling terminal, so /dev/tty fails.
	cmd := exec.Command("setsid", "-w", binPath, "add", "bob")
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "--env") {
		t.Fatalf("add without terminal: err=%v out=%s", err, out)
	}
}

// TestAddPromptDoesNotEchoSecret types the key into a real pseudo-terminal
// and checks what the terminal shows.
func TestAddPromptDoesNotEchoSecret(t *testing.T) {
	s := newSandbox(t, nil, "")
	cmd := exec.Command(binPath, "add", "carol")
	cmd.Env = s.env
	tty, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	defer tty.Close()
	screen := &lockedBuffer{}
	done := make(chan struct{})
	go func() { io.Copy(screen, tty); close(done) }()

	waitFor(t, screen, "AccessKey ID: ")
	io.WriteString(tty, aliceKeyID+"\r")
	waitFor(t, screen, "AccessKey secret: ")
	io.WriteString(tty, aliceSecret+"\r")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("add through pty: %v\n%s", err, screen.String())
	}
	<-done
	shown := screen.String()
	if strings.Contains(shown, aliceSecret) {
		t.Fatalf("the secret was echoed on the terminal:\n%q", shown)
	}
	if !strings.Contains(shown, aliceKeyID) {
		t.Fatalf("the key id should be echoed:\n%q", shown)
	}
	if r := s.ok("list"); !regexpLine(r.stdout, `^carol\s+keychain\s+yes`) {
		t.Fatalf("carol not stored:\n%s", r.stdout)
	}
	assertNotInTree(t, s.dir, aliceSecret)
}

func TestRemoveDeletesKeyAndSessions(t *testing.T) {
	emu, ca := newEmulator(t)
	s := newSandbox(t, emu, ca)
	s.writeConfig(chainConfig)
	s.addAlice()
	s.ok("export", "--format", "json", "prod")
	if r := s.ok("list"); !regexpLine(r.stdout, `^prod\s.*\dh?\d*m? left$`) {
		t.Fatalf("prod should have a cached session:\n%s", r.stdout)
	}
	if r := s.run(nil, "remove", "alice"); r.code == 0 {
		t.Fatalf("remove without terminal or --force must not delete:\n%s", r)
	}
	s.ok("remove", "--force", "alice")
	r := s.ok("list")
	if !regexpLine(r.stdout, `^alice\s+keychain\s+no\s+-$`) || !regexpLine(r.stdout, `^prod\s.*\s-$`) {
		t.Fatalf("after remove: key and sessions should be gone:\n%s", r.stdout)
	}
	if r := s.run(nil, "export", "prod"); r.code == 0 || !strings.Contains(r.stderr, "alirole add alice") {
		t.Fatalf("export after remove should say how to add the key:\n%s", r)
	}
}

func TestVersionAndHelp(t *testing.T) {
	s := newSandbox(t, nil, "")
	if r := s.ok("--version"); !strings.HasPrefix(r.stdout, "alirole version ") {
		t.Fatalf("--version: %s", r)
	}
	r := s.ok("--help")
	for _, cmd := range []string{"add", "remove", "list", "exec", "export", "whoami", "clear"} {
		if !regexpLine(r.stdout, `^\s+`+cmd+`\b`) {
			t.Errorf("--help does not list %s:\n%s", cmd, r.stdout)
		}
	}
}

func TestBadConfigNamesLine(t *testing.T) {
	s := newSandbox(t, nil, "")
	s.writeConfig("[profile a]\nsource_profile = b\nram_role_arn = acs:ram::1:role/x\n[profile b]\nsource_profile = a\nram_role_arn = acs:ram::111111111111:role/y\n")
	start := time.Now()
	r := s.run(nil, "list", "--profiles")
	if r.code == 0 || time.Since(start) > 5*time.Second {
		t.Fatalf("cyclic config should fail fast: %s", r)
	}
	for _, want := range []string{"config:3", "ram_role_arn", "a -> b -> a"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("error should contain %q:\n%s", want, r.stderr)
		}
	}
}

// assertNotInTree fails if needle appears in any file below dir.
func assertNotInTree(t *testing.T, dir, needle string) {
	t.Helper()
	filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		data, rerr := os.ReadFile(path)
		if rerr == nil && bytes.Contains(data, []byte(needle)) {
			t.Errorf("secret found in plain text in %s", path)
		}
		return nil
	})
}
