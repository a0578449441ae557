//go:build unix && !aix

package exec

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	osexec "os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/alirole/alirole/internal/testkit"
)

func TestRunExitCodes(t *testing.T) {
	for _, code := range []int{0, 1, 7, 255} {
		t.Run(strconv.Itoa(code), func(t *testing.T) {
			got, err := Run(context.Background(), helperSpec("exit", strconv.Itoa(code)))
			if err != nil {
				t.Fatal(err)
			}
			if got != code {
				t.Fatalf("exit code %d, want %d", got, code)
			}
		})
	}
}

func TestRunSignalDeath(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			got, err := Run(context.Background(), helperSpec("raise", strconv.Itoa(int(sig))))
			if err != nil {
				t.Fatal(err)
			}
			if want := 128 + int(sig); got != want {
				t.Fatalf("exit code %d, want %d", got, want)
			}
		})
	}
}

// runAsync starts Run in the background with stdout on a pipe and returns a
// reader for that output and a function waiting for Run's result.
func runAsync(t *testing.T, ctx context.Context, s Spec) (*bufio.Reader, func() (int, error)) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	s.Stdout = w
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		code, err := Run(ctx, s)
		_ = w.Close()
		done <- result{code, err}
	}()
	wait := func() (int, error) {
		select {
		case res := <-done:
			return res.code, res.err
		case <-time.After(20 * time.Second):
			t.Fatal("Run did not return")
			return 0, nil
		}
	}
	return bufio.NewReader(r), wait
}

func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	line, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("read child output: %v (got %q)", err, line)
	}
	return strings.TrimSuffix(line, "\n")
}

func TestRunKilledFromOutside(t *testing.T) {
	out, wait := runAsync(t, context.Background(), helperSpec("sleep"))
	line := readLine(t, out)
	pid, err := strconv.Atoi(strings.TrimPrefix(line, "ready "))
	if err != nil || pid <= 0 {
		t.Fatalf("bad ready line %q", line)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	code, err := wait()
	if err != nil || code != 128+int(syscall.SIGKILL) {
		t.Fatalf("Run = %d, %v; want 137, nil", code, err)
	}
}

func TestRunContextCancelKills(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, wait := runAsync(t, ctx, helperSpec("sleep"))
	readLine(t, out)
	start := time.Now()
	cancel()
	code, err := wait()
	if code != 137 || !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %d, %v; want 137 and context.Canceled", code, err)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatal("cancellation took too long")
	}

	// A context that is already done starts nothing.
	code, err = Run(ctx, helperSpec("exit", "0"))
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("Run with a done context = %d, %v", code, err)
	}
}

// TestRunForwardsSignals sends signals to the test process itself while Run
// waits; Run's subscription catches them (the test survives) and relays them
// to the child, which reports what it got.
func TestRunForwardsSignals(t *testing.T) {
	sigs := []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2}
	term := openTTY()
	defer term.close()
	if !term.deliversTo(os.Getpid()) {
		// Only without a terminal sending them to our group are these
		// forwarded (see TestRunCtrlCReachesChildOnce for the other case).
		sigs = append(sigs, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGWINCH)
	}
	for _, sig := range sigs {
		t.Run(sig.String(), func(t *testing.T) {
			out, wait := runAsync(t, context.Background(), helperSpec("wait-signal"))
			if line := readLine(t, out); line != "ready" {
				t.Fatalf("child said %q", line)
			}
			if err := syscall.Kill(os.Getpid(), sig); err != nil {
				t.Fatal(err)
			}
			got := readLine(t, out)
			code, err := wait()
			if err != nil || code != 42 {
				t.Fatalf("Run = %d, %v; want 42", code, err)
			}
			if want := "got " + sig.String(); got != want {
				t.Fatalf("child said %q, want %q", got, want)
			}
		})
	}
}

func TestRunStopsSubscriptionAfterReturn(t *testing.T) {
	cmd := osexec.Command(testBinary())
	cmd.Env = helperEnviron("wrap-then-term")
	err := cmd.Run()
	var exitErr *osexec.ExitError
	if !errors.As(err, &exitErr) {
		t.Fatalf("helper: %v", err)
	}
	ws := exitErr.Sys().(syscall.WaitStatus)
	if !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Fatalf("helper ended with %v; want death by SIGTERM after Run returned", ws)
	}
}

func TestRunEnvExact(t *testing.T) {
	env := []string{
		helperEnv + "=env",
		"GORACE=atexit_sleep_ms=0",
		"A=1",
		"SPACES=a b  c",
		"EMPTY=",
		"MULTI=line1\nline2",
		"EQ=a=b=c",
		"DUP=first",
		"DUP=second", // visible where /proc shows the raw environment
		"UNICODE=日本",
	}
	var out bytes.Buffer
	s := helperSpec("env")
	s.Env = env
	s.Stdout = &out
	code, err := Run(context.Background(), s)
	if err != nil || code != 0 {
		t.Fatalf("Run = %d, %v", code, err)
	}
	got := strings.Split(out.String(), "\x00")
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		env = slices.DeleteFunc(env, func(e string) bool { return e == "DUP=second" })
	}
	if !reflect.DeepEqual(got, env) {
		t.Fatalf("child environment:\n got %q\nwant %q", got, env)
	}
}

func TestRunNilEnvIsEmpty(t *testing.T) {
	envBin, err := LookPath("env", os.Environ())
	if err != nil {
		testkit.Missing(t, "env", "no env(1)")
	}
	testkit.Uses(t, "env")
	var out bytes.Buffer
	code, err := Run(context.Background(), Spec{Path: envBin, Stdout: &out})
	if err != nil || code != 0 {
		t.Fatalf("Run = %d, %v", code, err)
	}
	if out.Len() != 0 {
		t.Fatalf("nil Env leaked the parent's environment: %q", out.String())
	}
}

func TestRunStreamsAndDir(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Run("separate writers", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		s := helperSpec("echo")
		s.Stdin, s.Stdout, s.Stderr, s.Dir = strings.NewReader("input\ndata"), &stdout, &stderr, dir
		code, err := Run(context.Background(), s)
		if err != nil || code != 0 {
			t.Fatalf("Run = %d, %v", code, err)
		}
		if want := dir + "\ninput\ndata"; stdout.String() != want {
			t.Errorf("stdout %q, want %q", stdout.String(), want)
		}
		// A coverage-instrumented helper may add a warning after ours.
		if !strings.HasPrefix(stderr.String(), "to-stderr") {
			t.Errorf("stderr %q", stderr.String())
		}
	})
	t.Run("one writer for both", func(t *testing.T) {
		var both bytes.Buffer // not safe for concurrent use: -race checks Run shares one pipe
		s := helperSpec("echo")
		s.Stdin, s.Stdout, s.Stderr, s.Dir = strings.NewReader("x"), &both, &both, dir
		if code, err := Run(context.Background(), s); err != nil || code != 0 {
			t.Fatalf("Run = %d, %v", code, err)
		}
		if want := dir + "\nxto-stderr"; !strings.HasPrefix(both.String(), want) {
			t.Errorf("combined output %q", both.String())
		}
	})
	t.Run("nil streams", func(t *testing.T) {
		// stdin is the null device: the child reads EOF at once.
		if code, err := Run(context.Background(), helperSpec("echo")); err != nil || code != 0 {
			t.Fatalf("Run = %d, %v", code, err)
		}
	})
	t.Run("typed nil writer", func(t *testing.T) {
		var nilBuf *bytes.Buffer
		s := helperSpec("echo")
		s.Stdout = nilBuf
		if code, err := Run(context.Background(), s); err != nil || code != 0 {
			t.Fatalf("Run = %d, %v", code, err)
		}
	})
	t.Run("failing writer", func(t *testing.T) {
		s := helperSpec("echo")
		s.Stdout = failWriter{}
		code, err := Run(context.Background(), s)
		if code != 0 || err == nil || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("Run = %d, %v; want the child's 0 and the copy error", code, err)
		}
	})
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("boom") }

func TestRunStartErrors(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		s    Spec
		code int
	}{
		{"missing", Spec{Path: filepath.Join(dir, "missing")}, 127},
		{"not executable", Spec{Path: plain}, 126},
		{"directory", Spec{Path: dir}, 126},
		{"no path", Spec{}, 127},
		{"bad dir", Spec{Path: testBinary(), Dir: filepath.Join(dir, "nodir")}, 127},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, err := Run(context.Background(), tt.s)
			if err == nil || code != tt.code {
				t.Fatalf("Run = %d, %v; want %d and an error", code, err, tt.code)
			}
		})
	}
}

// startWrapper starts the test binary as a wrapper ("wrap" mode) around a
// helper child, in its own process group so the test can signal the group.
func startWrapper(t *testing.T, childMode string) int {
	t.Helper()
	devnull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devnull.Close()
	proc, err := os.StartProcess(testBinary(), []string{"wrapper", childMode}, &os.ProcAttr{
		Env:   helperEnviron("wrap"),
		Files: []*os.File{devnull, devnull, os.Stderr},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	pid := proc.Pid
	_ = proc.Release()
	var once sync.Once
	kill := func() { once.Do(func() { _ = syscall.Kill(-pid, syscall.SIGKILL) }) }
	timer := time.AfterFunc(15*time.Second, kill)
	t.Cleanup(func() {
		timer.Stop()
		kill()
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
	})
	return pid
}

// TestRunFollowsChildStop: a child stopped by SIGTSTP must stop the wrapper
// as well (else the shell waits on a running job whose real program is
// frozen), and continuing the group must finish normally.
func TestRunFollowsChildStop(t *testing.T) {
	pid := startWrapper(t, "stop-self")
	var ws syscall.WaitStatus
	if _, err := syscall.Wait4(pid, &ws, syscall.WUNTRACED, nil); err != nil {
		t.Fatal(err)
	}
	if !ws.Stopped() {
		t.Fatalf("wrapper did not stop with its child: %v", ws)
	}
	if err := syscall.Kill(-pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if _, err := syscall.Wait4(pid, &ws, 0, nil); err != nil {
		t.Fatal(err)
	}
	if !ws.Exited() || ws.ExitStatus() != 5 {
		t.Fatalf("wrapper ended with %v; want exit 5 from the continued child", ws)
	}
}

// TestRunCtrlCReachesChildOnce runs the wrapper on a pseudo-terminal, where
// Ctrl-C makes the terminal signal the whole foreground group. The child must
// see exactly one SIGINT: forwarding it again would turn a graceful
// interrupt into a forced one in many programs.
func TestRunCtrlCReachesChildOnce(t *testing.T) {
	cmd := osexec.Command(testBinary(), "count-int")
	cmd.Env = helperEnviron("wrap")
	ptmx, err := pty.Start(cmd)
	if err != nil {
		testkit.Missing(t, "pty", "no pseudo-terminal: %v", err)
	}
	testkit.Uses(t, "pty")
	defer ptmx.Close()
	timer := time.AfterFunc(15*time.Second, func() { _ = cmd.Process.Kill() })
	defer timer.Stop()

	var mu sync.Mutex
	var out strings.Builder
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 256)
		for {
			n, err := ptmx.Read(buf)
			mu.Lock()
			out.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	waitFor := func(s string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			mu.Lock()
			ok := strings.Contains(out.String(), s)
			mu.Unlock()
			if ok {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("no %q in terminal output %q", s, out.String())
	}
	waitFor("ready")
	if _, err := ptmx.Write([]byte{0x03}); err != nil {
		t.Fatal(err)
	}
	waitFor("count=")
	if err := cmd.Wait(); err != nil {
		t.Fatalf("wrapper: %v", err)
	}
	mu.Lock()
	got := out.String()
	mu.Unlock()
	if !strings.Contains(got, "count=1") {
		t.Fatalf("child saw SIGINT other than once: %q", got)
	}
}

func TestTerminalSignal(t *testing.T) {
	for sig, want := range map[syscall.Signal]bool{
		syscall.SIGINT: true, syscall.SIGQUIT: true, syscall.SIGTSTP: true, syscall.SIGWINCH: true,
		syscall.SIGTERM: false, syscall.SIGHUP: false, syscall.SIGUSR1: false, syscall.SIGCONT: false,
	} {
		if got := terminalSignal(sig); got != want {
			t.Errorf("terminalSignal(%v) = %v", sig, got)
		}
	}
	if (tty{fd: -1}).deliversTo(os.Getpid()) {
		t.Error("no terminal cannot deliver signals")
	}
}
