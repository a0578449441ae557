//go:build !windows

package keychain

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/alirole/alirole/internal/prompt"
	"github.com/alirole/alirole/internal/testkit"
)

func failingOpener(t *testing.T) prompt.Opener {
	return func() (prompt.TTY, error) {
		t.Error("terminal opened although the passphrase came from the environment")
		return nil, prompt.ErrNoTerminal
	}
}

func TestPassphraseFromEnv(t *testing.T) {
	get := PassphraseFunc(envMap(map[string]string{PassphraseEnv: "from-env"}), failingOpener(t))
	for range 2 {
		pw, err := get("Enter passphrase")
		if err != nil || pw != "from-env" {
			t.Fatalf("got %q, %v", pw, err)
		}
	}
}

func TestPassphraseNoTerminal(t *testing.T) {
	opens := 0
	noTTY := func() (prompt.TTY, error) {
		opens++
		return nil, prompt.ErrNoTerminal
	}
	// An empty variable counts as unset.
	get := PassphraseFunc(envMap(map[string]string{PassphraseEnv: ""}), noTTY)
	_, err := get("Enter passphrase")
	if err == nil || !errors.Is(err, prompt.ErrNoTerminal) {
		t.Fatalf("err = %v, want ErrNoTerminal", err)
	}
	want := "the file keychain needs a passphrase: set ALIROLE_FILE_PASSPHRASE or run in a terminal"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("err = %q, want it to start with %q", err, want)
	}
	// Failures are not cached: a later call tries again.
	if _, err := get("again"); err == nil || opens != 2 {
		t.Errorf("second call: err = %v, opens = %d", err, opens)
	}
}

// ptyOpener gives the prompt a fresh descriptor of a pty slave and returns
// a function that types into it once the prompt label has been written.
func ptyOpener(t *testing.T) (prompt.Opener, func(label, typed string), *int) {
	t.Helper()
	master, slave, err := pty.Open()
	if err != nil {
		testkit.Missing(t, "pty", "no pseudo-terminal: %v", err)
	}
	testkit.Uses(t, "pty")
	t.Cleanup(func() { _ = slave.Close(); _ = master.Close() })
	opens := 0
	open := func() (prompt.TTY, error) {
		opens++
		return os.OpenFile(slave.Name(), os.O_RDWR|syscall.O_NOCTTY, 0)
	}
	typeAfter := func(label, typed string) {
		go func() {
			var seen []byte
			buf := make([]byte, 256)
			for !strings.Contains(string(seen), label) {
				n, err := master.Read(buf)
				if err != nil {
					return
				}
				seen = append(seen, buf[:n]...)
			}
			_, _ = master.WriteString(typed)
		}()
	}
	return open, typeAfter, &opens
}

func TestPassphrasePromptCachedAndEmptyRefused(t *testing.T) {
	open, typeAfter, opens := ptyOpener(t)
	get := PassphraseFunc(envMap(nil), open)

	typeAfter("unlock: ", "\r")
	if _, err := get("unlock"); err == nil || !strings.Contains(err.Error(), "must not be empty") {
		t.Fatalf("empty passphrase: err = %v", err)
	}

	typeAfter("unlock: ", "hunter2\r")
	done := make(chan struct{})
	go func() {
		defer close(done)
		pw, err := get("unlock")
		if err != nil || pw != "hunter2" {
			t.Errorf("got %q, %v", pw, err)
		}
	}()
	select {
	case <-done:
	case <-time.After(3 * time.Second):
		t.Fatal("prompt did not return")
	}
	pw, err := get("unlock")
	if err != nil || pw != "hunter2" || *opens != 2 {
		t.Errorf("cached call = %q, %v after %d opens; want no new prompt", pw, err, *opens)
	}
}

func TestPassphraseFuncWithFileBackend(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	env := envMap(map[string]string{PassphraseEnv: "env-passphrase"})
	ring, err := Open(Options{Backend: "file", FileDir: dir, Passphrase: PassphraseFunc(env, failingOpener(t))})
	if err != nil {
		t.Fatal(err)
	}
	if err := New(ring).SetAccessKey("dev", AccessKey{ID: "id", Secret: akSecret}); err != nil {
		t.Fatal(err)
	}
	// Without the variable and without a terminal, reading fails clearly.
	noTTY := func() (prompt.TTY, error) { return nil, prompt.ErrNoTerminal }
	ring, err = Open(Options{Backend: "file", FileDir: dir, Passphrase: PassphraseFunc(envMap(nil), noTTY)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = New(ring).AccessKey("dev")
	if !errors.Is(err, prompt.ErrNoTerminal) || !strings.Contains(err.Error(), PassphraseEnv) {
		t.Errorf("err = %v", err)
	}
}
