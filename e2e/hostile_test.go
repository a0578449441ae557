//go:build unix

package e2e

import (
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/alirole/alirole/internal/stsemu"
)

// TestHostileSTSAnswersRealBinary: the released binary, given answers no
// real STS sends, exits non-zero with an error naming the hop and what to
// do, prints nothing on stdout and caches nothing in the keychain; an
// 800 MiB answer costs neither the memory nor the time to read it.
func TestHostileSTSAnswersRealBinary(t *testing.T) {
	cases := []struct {
		name  string
		fault stsemu.Fault
		want  string
	}{
		{"800 MiB answer", stsemu.Fault{HugeBody: 800 << 20}, "larger than 1024 KiB"},
		{"expiration in 2099", stsemu.Fault{Expiration: "2099-01-01T00:00:00Z"}, "Expiration 2099-01-01T00:00:00Z is later than the 2h0m0s that was asked for"},
		{"expiration in 2001", stsemu.Fault{Expiration: "2001-01-01T00:00:00Z"}, "Expiration 2001-01-01T00:00:00Z is already past"},
		{"empty credentials", stsemu.Fault{EmptyCredentials: true}, "empty AccessKeyId"},
		{"oversized token", stsemu.Fault{OversizeToken: 512 << 10}, "SecurityToken is 5"},
		{"escape sequences in an error", stsemu.Fault{Status: 403, Code: "NoPermission", Message: stsemu.EscapeMessage}, "NoPermission"},
	}
	emu, ca := newEmulator(t)
	s := newSandbox(t, emu, ca)
	s.writeConfig(chainConfig)
	s.addAlice()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			emu.ClearFaults()
			f := tc.fault
			f.Action, f.RoleArn = "AssumeRole", adminArn
			emu.Inject(f)
			msg := exportRefused(t, s.env, "prod", false)
			for _, want := range []string{`profile "admin"`, tc.want} {
				if !strings.Contains(msg, want) {
					t.Errorf("stderr lacks %q", want)
				}
			}
			if f.Status == 0 && !strings.Contains(msg, "what to do") {
				t.Errorf("stderr does not say what to do")
			}
			entries, _ := filepath.Glob(s.path("keys/session*"))
			if len(entries) != 0 {
				t.Errorf("sessions cached after a hostile answer: %v", entries)
			}
		})
	}
	// The keychain was left usable: with the faults gone, the chain works.
	emu.ClearFaults()
	s.ok("export", "--format", "external", "prod")
}

// TestDevEmulatorFaultFlags: `alirole dev sts-emulator --fault` makes the
// standalone emulator misbehave as documented: one 503 (retried), then an
// answer with a 2099 Expiration, which alirole refuses.
func TestDevEmulatorFaultFlags(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	emuCA := filepath.Join(dir, "ca.pem")
	cmd := exec.CommandContext(ctx, binPath, "dev", "sts-emulator", "--ca-file", emuCA,
		"--fault", "action=AssumeRole,times=1,status=503",
		"--fault", "action=AssumeRole,expiration=2099-01-01T00:00:00Z")
	stdout := &lockedBuffer{}
	stderr := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()
	waitFor(t, stdout, "ready\n")
	var endpoint string
	for _, line := range strings.Split(stdout.String(), "\n") {
		if rest, ok := strings.CutPrefix(line, "sts-emulator listening on https://"); ok {
			endpoint, _, _ = strings.Cut(rest, " ")
		}
	}
	s := newSandbox(t, nil, "")
	s.env = append(s.env, "SSL_CERT_FILE="+emuCA, "ALIROLE_STS_ENDPOINT="+endpoint)
	s.writeConfig("[profile demo]\n\n[profile admin]\nsource_profile = demo\nram_role_arn = " + stsemu.DemoAdminRoleARN + "\n")
	if r := s.run([]string{"ALIBABA_CLOUD_ACCESS_KEY_ID=" + stsemu.DemoAccessKeyID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET=" + stsemu.DemoAccessKeySecret}, "add", "--env", "demo"); r.code != 0 {
		t.Fatalf("add: %s", r)
	}
	r := s.run(nil, "export", "--format", "external", "admin")
	if r.code == 0 || !strings.Contains(r.stderr, "(2 attempts)") || !strings.Contains(r.stderr, "Expiration 2099-01-01T00:00:00Z") {
		t.Fatalf("want a refused 2099 Expiration after one retried 503: %s\nemulator log:\n%s", r, stderr.String())
	}
	if !strings.Contains(stderr.String(), `status=503 code="ServiceUnavailable" fault="status Service Unavailable`) || !strings.Contains(stderr.String(), `status=200 code="" fault="expiration 2099-01-01T00:00:00Z"`) {
		t.Fatalf("emulator log does not show both faults:\n%s", stderr.String())
	}
	if r := s.run(nil, "dev", "sts-emulator", "--ca-file", filepath.Join(dir, "x.pem"), "--fault", "bogus"); r.code == 0 || !strings.Contains(r.stderr, `unknown key "bogus"`) {
		t.Fatalf("a bad --fault is not refused clearly: %s", r)
	}
}

// TestForeignLockDirRefused: with $XDG_RUNTIME_DIR/alirole owned by another
// user (root chowns it) or open to everyone, export refuses with a message
// naming the directory and what to do, and works again once it is removed.
func TestForeignLockDirRefused(t *testing.T) {
	emu, ca := newEmulator(t)
	s := newSandbox(t, emu, ca)
	s.writeConfig(chainConfig)
	s.addAlice()
	lockDir := s.path("run/alirole")
	cases := []struct {
		name  string
		setup func() error
		want  string
	}{
		{"mode 0777", func() error { return os.Chmod(lockDir, 0o777) }, "writable by other users (mode 0777)"},
		{"foreign owner", func() error {
			if os.Getuid() != 0 {
				t.Skip("needs root to chown")
			}
			return os.Chown(lockDir, 4242, 4242)
		}, "belongs to uid 4242"},
		{"symlink", func() error {
			if err := os.Mkdir(s.path("run/elsewhere"), 0o700); err != nil {
				return err
			}
			return os.Symlink(s.path("run/elsewhere"), lockDir)
		}, "is a symbolic link"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_ = os.RemoveAll(lockDir)
			if tc.name != "symlink" {
				if err := os.Mkdir(lockDir, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			if err := tc.setup(); err != nil {
				t.Fatal(err)
			}
			r := s.run(nil, "export", "--format", "external", "--no-cache", "prod")
			if r.code != 0 {
				t.Fatalf("--no-cache takes no lock, yet: %s", r)
			}
			r = s.run(nil, "export", "--refresh", "--format", "external", "prod")
			if r.code == 0 || !strings.Contains(r.stderr, tc.want) || !strings.Contains(r.stderr, lockDir) || !strings.Contains(r.stderr, "remove it") || r.stdout != "" {
				t.Fatalf("unsafe lock directory not refused clearly: %s", r)
			}
			_ = os.RemoveAll(lockDir)
			s.ok("export", "--format", "external", "prod")
		})
	}
}

// TestProgressOnTerminal: with stderr on a terminal (a pty), a silent STS
// gets a "waiting" line and each retry a line; stdout (a pipe) holds only
// the credentials. With stderr not a terminal, none of those lines appear.
// --resolve-timeout bounds the whole resolution and is named in the error.
func TestProgressOnTerminal(t *testing.T) {
	emu, ca := newEmulator(t)
	s := newSandbox(t, emu, ca)
	s.writeConfig(chainConfig)
	s.addAlice()

	emu.Inject(stsemu.Fault{Action: "AssumeRole", RoleArn: adminArn, Hang: true, Times: 1})
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer ptmx.Close()
	screen := &lockedBuffer{}
	copied := make(chan struct{})
	go func() { _, _ = io.Copy(screen, ptmx); close(copied) }()
	cmd := exec.Command(binPath, "export", "--sts-timeout", "1500ms", "--format", "external", "admin")
	cmd.Env = s.env
	var stdout strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, tty
	err = cmd.Run()
	tty.Close()
	if err != nil {
		t.Fatalf("export: %v\n%s", err, screen.String())
	}
	select {
	case <-copied:
	case <-time.After(5 * time.Second):
	}
	shown := screen.String()
	t.Logf("terminal:\n%s", shown)
	for _, want := range []string{
		"alirole: waiting for STS to answer AssumeRole for admin (role " + adminArn + ")…",
		"alirole: retrying AssumeRole for admin (2/4) after timeout…",
	} {
		if !strings.Contains(shown, want) {
			t.Errorf("terminal lacks %q", want)
		}
	}
	if !strings.HasPrefix(stdout.String(), `{"mode":"StsToken"`) {
		t.Errorf("stdout: %q", stdout.String())
	}

	// Not a terminal: the same slow resolution prints no progress.
	emu.Inject(stsemu.Fault{Action: "AssumeRole", RoleArn: adminArn, Hang: true, Times: 1})
	r := s.run(nil, "export", "--refresh", "--sts-timeout", "1500ms", "--format", "external", "admin")
	if r.code != 0 || strings.Contains(r.stderr, "retrying") || strings.Contains(r.stderr, "waiting") {
		t.Fatalf("progress lines without a terminal: %s", r)
	}

	// The total bound, by flag and by environment.
	emu.Inject(stsemu.Fault{Action: "AssumeRole", Hang: true})
	for _, how := range []struct {
		extra []string
		args  []string
	}{
		{nil, []string{"export", "--refresh", "--resolve-timeout", "2s", "prod"}},
		{[]string{"ALIROLE_RESOLVE_TIMEOUT=2s"}, []string{"export", "--refresh", "prod"}},
	} {
		start := time.Now()
		r := s.run(how.extra, how.args...)
		took := time.Since(start)
		if r.code == 0 || took > 5*time.Second || !strings.Contains(r.stderr, "gave up after 2s (the resolve timeout) waiting for AssumeRole for admin") ||
			!strings.Contains(r.stderr, "--resolve-timeout or ALIROLE_RESOLVE_TIMEOUT") {
			t.Fatalf("resolve timeout (%s): %s", took, r)
		}
	}
}

// exportRefused runs 'export --format external profile' with env, which a
// hostile answer upstream must make fail, and returns its stderr after
// checking that it failed, printed nothing on stdout and stayed under
// 100 MiB of memory (an 800 MiB answer must not be read). setsid runs it
// without a controlling terminal, so no sign-in can prompt.
func exportRefused(t *testing.T, env []string, profile string, setsid bool) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, "export", "--format", "external", profile)
	cmd.Env = env
	if setsid {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	}
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Run(); err == nil {
		t.Fatalf("hostile answer accepted; stdout %q", out.String())
	}
	took := time.Since(start)
	rss := int64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) // KiB on Linux
	if runtime.GOOS == "darwin" {
		rss >>= 10 // bytes there
	}
	t.Logf("took %s, max RSS %d MiB, stderr: %q", took.Round(time.Millisecond), rss>>10, errb.String())
	if out.Len() != 0 {
		t.Errorf("stdout not empty: %q", out.String())
	}
	if rss > 100<<10 {
		t.Errorf("max RSS %d MiB", rss>>10)
	}
	return errb.String()
}
