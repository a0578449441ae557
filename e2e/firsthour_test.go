package e2e

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
)

// ptySession is one alirole run on a pseudo-terminal.
type ptySession struct {
	t      *testing.T
	cmd    *exec.Cmd
	tty    *os.File
	screen *lockedBuffer
	done   chan struct{}
	mark   int
}

// startPTY runs alirole on a new pseudo-terminal with the sandbox
// environment plus extra.
func (s *sandbox) startPTY(extra []string, args ...string) *ptySession {
	s.t.Helper()
	cmd := exec.Command(binPath, args...)
	cmd.Env = append(append([]string{}, s.env...), extra...)
	tty, err := pty.Start(cmd)
	if err != nil {
		s.t.Fatal(err)
	}
	p := &ptySession{t: s.t, cmd: cmd, tty: tty, screen: &lockedBuffer{}, done: make(chan struct{})}
	go func() { io.Copy(p.screen, tty); close(p.done) }()
	s.t.Cleanup(func() { cmd.Process.Kill(); tty.Close() })
	return p
}

// answer waits for prompt to appear (after the previous one) and types line.
func (p *ptySession) answer(prompt, line string) {
	p.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		shown := p.screen.String()
		if i := strings.Index(shown[p.mark:], prompt); i >= 0 {
			p.mark += i + len(prompt)
			break
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out waiting for %q; terminal:\n%s", prompt, shown)
		}
		time.Sleep(10 * time.Millisecond)
	}
	io.WriteString(p.tty, line)
}

// wait returns the exit status and everything the terminal showed.
func (p *ptySession) wait() (int, string) {
	p.t.Helper()
	err := p.cmd.Wait()
	<-p.done
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		p.t.Fatal(err)
	}
	return code, p.screen.String()
}

// TestFilePassphraseFirstHour: a new file keychain's passphrase is asked
// (as "create", not "unlock") before the AccessKey and confirmed; a wrong
// one may be retyped up to 3 times; the final failure says which
// directory to move away.
func TestFilePassphraseFirstHour(t *testing.T) {
	s := newSandbox(t, nil, "")
	noEnv := []string{"ALIROLE_FILE_PASSPHRASE="}
	keys := s.path("keys")

	p := s.startPTY(noEnv, "add", "carol")
	p.answer("Create a passphrase for the new file keychain in "+keys+": ", "first\r")
	p.answer("Type it again to confirm: ", "frist\r") // a typo is caught
	p.answer("did not match", "")
	p.answer(": ", "right passphrase\r")
	p.answer("Type it again to confirm: ", "right passphrase\r")
	p.answer("AccessKey ID: ", aliceKeyID+"\r")
	p.answer("AccessKey secret: ", aliceSecret+"\r")
	code, shown := p.wait()
	if code != 0 || strings.Contains(shown, "unlock") {
		t.Fatalf("add on a new file keychain: exit %d\n%s", code, shown)
	}

	// export reads the key (a profile without a role needs no STS).
	p = s.startPTY(noEnv, "export", "--format", "json", "carol")
	p.answer("Passphrase to unlock the file keychain in "+keys+": ", "wrong\r")
	p.answer("Wrong passphrase; try again (2/3): ", "right passphrase\r")
	code, shown = p.wait()
	if code != 0 || !strings.Contains(shown, aliceKeyID) {
		t.Fatalf("export after one wrong passphrase: exit %d\n%s", code, shown)
	}

	p = s.startPTY(noEnv, "export", "--format", "json", "carol")
	p.answer("unlock the file keychain in "+keys+": ", "wrong 1\r")
	p.answer("(2/3): ", "wrong 2\r")
	p.answer("(3/3): ", "wrong 3\r")
	code, shown = p.wait()
	if code == 0 || !strings.Contains(shown, "mv "+keys+" "+keys+".lost") || strings.Count(shown, "try again") != 2 {
		t.Fatalf("three wrong passphrases: exit %d, want a failure saying which directory to move away:\n%s", code, shown)
	}

	// From the environment: no retry, the same advice.
	r := s.run([]string{"ALIROLE_FILE_PASSPHRASE=not it"}, "export", "carol")
	if r.code == 0 || !strings.Contains(r.stderr, "ALIROLE_FILE_PASSPHRASE") || !strings.Contains(r.stderr, "mv "+keys) {
		t.Fatalf("wrong passphrase from the environment: %s", r)
	}
}

// TestExitStatuses: exec gives the shell's statuses for a program that
// cannot start, Ctrl-C at a prompt exits 130, and a mistyped command gets a
// suggestion.
func TestExitStatuses(t *testing.T) {
	s := newSandbox(t, nil, "")
	s.writeConfig(chainConfig)
	s.addAlice()
	notExec := s.path("not-executable")
	writeDocsFile(t, notExec, "#!/bin/sh\necho never\n", 0o600)

	if r := s.run(nil, "exec", "alice", "--", "no-such-command-here"); r.code != 127 || !strings.Contains(r.stderr, "no-such-command-here") {
		t.Errorf("exec of a missing command: %s, want exit 127", r)
	}
	if r := s.run(nil, "exec", "alice", "--", notExec); r.code != 126 {
		t.Errorf("exec of a non-executable file: %s, want exit 126", r)
	}
	if r := s.run(nil, "exec", "alice", "--", "sh", "-c", "exit 7"); r.code != 7 {
		t.Errorf("exec of a command exiting 7: %s", r)
	}
	if r := s.run(nil, "exce", "alice"); r.code == 0 || !strings.Contains(r.stderr, "did you mean exec?") {
		t.Errorf("mistyped command: %s, want a suggestion", r)
	}

	p := s.startPTY(nil, "add", "bob")
	p.answer("AccessKey ID: ", "\x03")
	if code, shown := p.wait(); code != 130 {
		t.Errorf("Ctrl-C at the AccessKey prompt: exit %d, want 130\n%s", code, shown)
	}
	p = s.startPTY([]string{"ALIROLE_FILE_PASSPHRASE="}, "export", "alice")
	p.answer("Passphrase to unlock the file keychain in "+s.path("keys")+": ", "\x03")
	if code, shown := p.wait(); code != 130 {
		t.Errorf("Ctrl-C at the passphrase prompt: exit %d, want 130\n%s", code, shown)
	}
}

// TestAccountIDCheckedLocally: an ARN with an impossible account id fails
// at load, naming file and line, without a call to STS.
func TestAccountIDCheckedLocally(t *testing.T) {
	emu, ca := newEmulator(t)
	s := newSandbox(t, emu, ca)
	s.writeConfig(chainConfig)
	s.addAlice()
	s.writeConfig(chainConfig + "\n[profile typo]\nsource_profile = alice\nram_role_arn = acs:ram::12345:role/admin\n")
	r := s.run(nil, "export", "prod")
	if r.code == 0 || !strings.Contains(r.stderr, s.path("config")+":23:") || !strings.Contains(r.stderr, `account id "12345"`) {
		t.Fatalf("a 5-digit account id must fail locally with file and line: %s", r)
	}
	if n := len(emu.Calls()); n != 0 {
		t.Errorf("%d STS calls, want none", n)
	}
}

// TestLongTermKeyWarning: handing out a long-term AccessKey (a profile
// without a role) says so in one line on stderr, unless silenced.
func TestLongTermKeyWarning(t *testing.T) {
	emu, ca := newEmulator(t)
	s := newSandbox(t, emu, ca)
	s.writeConfig(chainConfig)
	s.addAlice()
	warned := func(r result) bool {
		t.Helper()
		if r.code != 0 {
			t.Fatalf("%s", r)
		}
		n := strings.Count(r.stderr, "long-term AccessKey")
		if n > 1 || n == 1 && strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("the warning must be one line:\n%s", r.stderr)
		}
		return n == 1
	}
	if !warned(s.ok("export", "--format", "json", "alice")) {
		t.Error("export of a role-less profile gave no warning")
	}
	if !warned(s.ok("exec", "alice", "--", "true")) {
		t.Error("exec of a role-less profile gave no warning")
	}
	if warned(s.ok("export", "--format", "json", "prod")) {
		t.Error("an STS session is no long-term key")
	}
	if warned(s.ok("export", "--no-long-term-warning", "alice")) || warned(s.ok("exec", "alice", "--no-long-term-warning", "--", "true")) {
		t.Error("--no-long-term-warning did not silence it")
	}
	s.writeConfig(strings.Replace(chainConfig, "region_id = cn-hangzhou", "region_id = cn-hangzhou\nallow_long_term_key = true", 1))
	if warned(s.ok("export", "alice")) {
		t.Error("allow_long_term_key = true did not silence it")
	}
}

// TestNestedExecAdviceWorks: after eval "$(alirole export prod)" there is
// no shell to exit; the message says how to unset, and that advice works.
func TestNestedExecAdviceWorks(t *testing.T) {
	emu, ca := newEmulator(t)
	s := newSandbox(t, emu, ca)
	s.writeConfig(chainConfig)
	s.addAlice()
	script := `eval "$(alirole export --format env prod)"
if alirole exec prod -- true 2>err; then echo "nested exec was not refused"; exit 1; fi
cat err >&2
advice=$(grep -o 'eval "$(alirole export --unset)"' err) || { echo "no unset advice"; exit 1; }
eval "$advice"
alirole exec prod -- sh -c 'test -n "$ALIROLE_PROFILE"'
`
	cmd := exec.Command("bash", "-euc", script)
	cmd.Env = append(append([]string{}, s.env...), "PATH="+strings.TrimSuffix(binPath, "/alirole")+":"+os.Getenv("PATH"))
	cmd.Dir = s.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

// TestSmallFirstHourThings covers issue 13's item 12, one line each.
func TestSmallFirstHourThings(t *testing.T) {
	emu, ca := newEmulator(t)
	s := newSandbox(t, emu, ca)

	// list on a fresh HOME: advice, not a bare header, and no directory.
	r := s.ok("list")
	if strings.Contains(r.stdout, "PROFILE") || !strings.Contains(r.stderr, "alirole add PROFILE") {
		t.Errorf("list on a fresh HOME: %s", r)
	}
	if _, err := os.Stat(s.path("keys")); !os.IsNotExist(err) {
		t.Errorf("list created the keychain directory (%v)", err)
	}

	s.writeConfig(chainConfig)
	s.addAlice()
	// clear of an unknown profile fails, with a suggestion.
	if r := s.run(nil, "clear", "prdo"); r.code == 0 || !strings.Contains(r.stderr, `"prod"`) || strings.Contains(r.stderr, "Cleared") {
		t.Errorf("clear of an unknown profile: %s", r)
	}
	if r := s.ok("clear", "prod"); !strings.Contains(r.stderr, "Cleared 0") {
		t.Errorf("clear of a known profile: %s", r)
	}

	// add over a stored key: refused without a terminal, --force replaces,
	// a terminal asks (the answer "n" keeps the key).
	akEnv := []string{"ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI5tOtherKey000000001", "ALIBABA_CLOUD_ACCESS_KEY_SECRET=other-secret-0123456789"}
	if r := s.run(akEnv, "add", "--env", "alice"); r.code == 0 || !strings.Contains(r.stderr, "--force") {
		t.Errorf("add over a stored key without a terminal: %s", r)
	}
	p := s.startPTY(akEnv, "add", "--env", "alice")
	p.answer(`Profile "alice" already has AccessKey `+aliceKeyID+" stored. Replace it? [y/N] ", "n\r")
	if code, shown := p.wait(); code == 0 {
		t.Errorf("answering n replaced the key:\n%s", shown)
	}
	if r := s.ok("export", "--format", "json", "--no-long-term-warning", "alice"); !strings.Contains(r.stdout, aliceKeyID) {
		t.Errorf("the key was replaced: %s", r)
	}
	if r := s.run(akEnv, "add", "--env", "--force", "alice"); r.code != 0 {
		t.Errorf("add --force: %s", r)
	}
	s.addAliceForce()

	// --expiry-window: negative is refused, longer than the sessions warned.
	if r := s.run(nil, "--expiry-window", "-1m", "export", "prod"); r.code == 0 || !strings.Contains(r.stderr, "negative") {
		t.Errorf("negative --expiry-window: %s", r)
	}
	if n := len(emu.Calls()); n != 0 {
		t.Errorf("%d STS calls for a refused window", n)
	}
	if r := s.run(nil, "export", "--expiry-window", "3h", "prod"); r.code != 0 || !strings.Contains(r.stderr, "warning") ||
		!strings.Contains(r.stderr, `"admin"`) || !strings.Contains(r.stderr, "config:5") {
		t.Errorf("--expiry-window longer than admin's 2h sessions: %s", r)
	}
	// A bad --sts-timeout: one line, not the whole help.
	if r := s.run(nil, "--sts-timeout", "10", "export", "prod"); r.code == 0 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "unit") {
		t.Errorf("bad --sts-timeout: %s", r)
	}
	// --debug names the config file and the backend.
	if r := s.ok("--debug", "list"); !strings.Contains(r.stderr, s.path("config")) || !strings.Contains(r.stderr, "backend=file") {
		t.Errorf("--debug: %s", r)
	}
	// The confirmation leaves a space before the answer.
	p = s.startPTY(nil, "remove", "alice")
	p.answer(`Delete the AccessKey stored for profile "alice"? [y/N] `, "n\r")
	if code, shown := p.wait(); code == 0 || !strings.Contains(shown, "[y/N] n") {
		t.Errorf("remove answered n: exit %d\n%s", code, shown)
	}
	// remove names the profiles left without a source.
	if r := s.ok("remove", "--force", "alice"); !strings.Contains(r.stderr, "admin, audit, prod") {
		t.Errorf("remove does not name the stranded profiles: %s", r)
	}
}

// TestDemoPlainWhenPiped runs the README's first command with its output
// captured: it must work and print no ANSI codes into a pipe or log.
func TestDemoPlainWhenPiped(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary again")
	}
	cmd := exec.Command("../scripts/demo")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/demo: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "\x1b") {
		t.Errorf("scripts/demo printed ANSI codes into a pipe:\n%q", out)
	}
}

// TestLockFilesDoNotPileUp: the lock directory keeps no file per hop once
// the runs are over, also under parallel cold runs (which must still share
// one STS call per hop).
func TestLockFilesDoNotPileUp(t *testing.T) {
	emu, ca := newEmulator(t)
	s := newSandbox(t, emu, ca)
	s.writeConfig(chainConfig)
	s.addAlice()
	lockDir := s.path("run/alirole")
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			r, err := s.start(nil, time.Minute, "export", "--format", "external", "audit")
			if err == nil && r.code != 0 {
				err = fmt.Errorf("%s", r)
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if got := counts(emu); got != [3]int{1, 1, 1} {
		t.Errorf("parallel cold runs: AssumeRole calls = %v, want one per hop", got)
	}
	entries, err := os.ReadDir(lockDir)
	if err != nil {
		t.Fatalf("lock directory: %v", err)
	}
	var names []string
	for _, e := range entries {
		// The session generation and its lock stay (keychain/generation.go).
		if e.Name() != "sessions.generation" && e.Name() != "sessions.generation.lock" {
			names = append(names, e.Name())
		}
	}
	if len(names) != 0 {
		t.Errorf("lock files left behind: %v", names)
	}
}
