//go:build !windows

package prompt

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/alirole/alirole/internal/testkit"
)

// lockedBuffer collects what the program writes to the terminal, as seen on
// the pty master.
type lockedBuffer = testkit.LockedBuffer

type fakeTerminal struct {
	master *os.File
	slave  *os.File // kept open by the test so termios can be inspected afterwards
	out    *lockedBuffer
	done   chan struct{}
}

func newFakeTerminal(t *testing.T) *fakeTerminal {
	t.Helper()
	ptmx, slave, err := pty.Open()
	if err != nil {
		testkit.Missing(t, "pty", "no pseudo-terminal: %v", err)
	}
	testkit.Uses(t, "pty")
	master := pollable(t, ptmx)
	ft := &fakeTerminal{master: master, slave: slave, out: &lockedBuffer{}, done: make(chan struct{})}
	go func() {
		defer close(ft.done)
		buf := make([]byte, 256)
		for {
			n, err := master.Read(buf)
			_, _ = ft.out.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		_ = slave.Close()
		_ = master.Close()
		select {
		case <-ft.done:
		case <-time.After(3 * time.Second):
			t.Error("pty reader did not stop")
		}
	})
	return ft
}

// pollable returns a non-blocking copy of f so that Close interrupts a pending
// Read: pty.Open leaves the master in blocking mode, where a Close would wait
// behind the reader goroutine and the slave would never see the hang-up.
func pollable(t *testing.T, f *os.File) *os.File {
	t.Helper()
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	return os.NewFile(uintptr(fd), "ptmx")
}

// opener hands out a fresh descriptor of the pty slave, as DefaultOpener
// hands out a fresh /dev/tty, so the prompt's Close does not close the test's.
func (ft *fakeTerminal) opener() Opener {
	return func() (TTY, error) {
		return os.OpenFile(ft.slave.Name(), os.O_RDWR|syscall.O_NOCTTY, 0)
	}
}

func (ft *fakeTerminal) waitFor(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !strings.Contains(ft.out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("terminal never showed %q; got %q", want, ft.out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPromptOnPty(t *testing.T) {
	tests := []struct {
		name     string
		secret   bool
		typed    string
		want     string
		wantErr  error
		echoed   string // must appear on the terminal after the label
		unechoed string // must not appear anywhere on the terminal
	}{
		{name: "secret not echoed", secret: true, typed: "s3cr3t-Value\r", want: "s3cr3t-Value", unechoed: "s3cr3t"},
		{name: "secret with newline terminator", secret: true, typed: "abc\n", want: "abc", unechoed: "abc"},
		{name: "line echoed", typed: "hello world\r", want: "hello world", echoed: "hello world"},
		{name: "backspace edits", typed: "abx\x7fc\r", want: "abc", echoed: "abx\b \bc"},
		{name: "ctrl-u clears", typed: "wrong\x15right\r", want: "right"},
		{name: "utf8 backspace removes whole rune", typed: "caf\u00e9\x7fe\r", want: "cafe"},
		{name: "arrow keys ignored", typed: "ab\x1b[Dc\x1bOA\r", want: "abc"},
		{name: "ctrl-d mid-line ignored", typed: "ab\x04c\r", want: "abc"},
		{name: "ctrl-c cancels secret", secret: true, typed: "abc\x03", wantErr: ErrInterrupted},
		{name: "ctrl-c cancels line", typed: "\x03", wantErr: ErrInterrupted},
		{name: "ctrl-d on empty line cancels", typed: "\x04", wantErr: ErrCancelled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ft := newFakeTerminal(t)
			const label = "Value for test: "
			ask := Line
			if tc.secret {
				ask = Secret
			}
			type result struct {
				got string
				err error
			}
			res := make(chan result, 1)
			go func() {
				got, err := ask(ft.opener(), label)
				res <- result{got, err}
			}()
			// The label is written after the terminal is switched to raw
			// mode, so typing only once it shows tests the real echo setting.
			ft.waitFor(t, label)
			if _, err := ft.master.WriteString(tc.typed); err != nil {
				t.Fatal(err)
			}
			var r result
			select {
			case r = <-res:
			case <-time.After(3 * time.Second):
				t.Fatal("prompt did not return")
			}
			if tc.wantErr != nil {
				if !errors.Is(r.err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", r.err, tc.wantErr)
				}
				if !errors.Is(r.err, ErrCancelled) || !strings.HasPrefix(r.err.Error(), "input cancelled") {
					t.Errorf("err text = %q", r.err.Error())
				}
			} else {
				if r.err != nil {
					t.Fatalf("unexpected error: %v", r.err)
				}
				if r.got != tc.want {
					t.Errorf("got %q, want %q", r.got, tc.want)
				}
			}
			ft.waitFor(t, "\r\n") // the newline after the answer
			shown := ft.out.String()
			if tc.echoed != "" && !strings.Contains(shown, label+tc.echoed) {
				t.Errorf("terminal shows %q, want it to contain %q", shown, label+tc.echoed)
			}
			if tc.unechoed != "" && strings.Contains(shown, tc.unechoed) {
				t.Errorf("secret echoed to terminal: %q", shown)
			}
			st, err := unix.IoctlGetTermios(int(ft.slave.Fd()), ioctlGetTermios)
			if err != nil {
				t.Fatal(err)
			}
			if st.Lflag&unix.ECHO == 0 || st.Lflag&unix.ICANON == 0 || st.Lflag&unix.ISIG == 0 {
				t.Errorf("terminal mode not restored: lflag=%#x", st.Lflag)
			}
		})
	}
}

func TestPromptTerminalHangsUp(t *testing.T) {
	ft := newFakeTerminal(t)
	res := make(chan error, 1)
	go func() {
		_, err := Secret(ft.opener(), "pw: ")
		res <- err
	}()
	ft.waitFor(t, "pw: ")
	_ = ft.master.Close() // the slave now reads EIO
	select {
	case err := <-res:
		if !errors.Is(err, ErrCancelled) {
			t.Fatalf("err = %v, want ErrCancelled", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("prompt did not return after hang-up")
	}
}

func TestPromptNoTerminal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	openErr := errors.New("boom")
	tests := []struct {
		name string
		open Opener
		want error
	}{
		{name: "nil opener", open: nil, want: ErrNoTerminal},
		{name: "opener fails", open: func() (TTY, error) { return nil, openErr }, want: openErr},
		{name: "not a terminal", open: func() (TTY, error) { return w, nil }, want: ErrNoTerminal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, ask := range []func(Opener, string) (string, error){Secret, Line} {
				if _, err := ask(tc.open, "x: "); !errors.Is(err, tc.want) {
					t.Errorf("err = %v, want %v", err, tc.want)
				}
			}
		})
	}
}

// TestDefaultOpenerWithoutControllingTerminal re-runs the test binary in a new
// session, which has no controlling terminal, as under credentials-go or CI.
func TestDefaultOpenerWithoutControllingTerminal(t *testing.T) {
	if os.Getenv("PROMPT_TEST_CHILD") == "1" {
		_, err := DefaultOpener()
		if !errors.Is(err, ErrNoTerminal) {
			t.Fatalf("DefaultOpener err = %v, want ErrNoTerminal", err)
		}
		_, err = Secret(DefaultOpener, "pw: ")
		if !errors.Is(err, ErrNoTerminal) {
			t.Fatalf("Secret err = %v, want ErrNoTerminal", err)
		}
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDefaultOpenerWithoutControllingTerminal$", "-test.v")
	cmd.Env = append(os.Environ(), "PROMPT_TEST_CHILD=1")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestDefaultOpenerWithoutControllingTerminal") {
		t.Fatalf("child did not run the check:\n%s", out)
	}
}
