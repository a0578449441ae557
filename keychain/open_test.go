package keychain

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alirole/alirole/internal/testkit"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestBackendNames(t *testing.T) {
	want := []string{"keychain", "wincred", "secret-service", "kwallet", "pass", "keyctl", "file"}
	if got := BackendNames(); !slices.Equal(got, want) {
		t.Errorf("BackendNames = %q, want %q", got, want)
	}
	avail := Available()
	if !slices.Contains(avail, "file") {
		t.Errorf("Available = %q, want file listed", avail)
	}
	// Available keeps the preference order and only known names.
	last := -1
	for _, name := range avail {
		i := slices.Index(want, name)
		if i <= last {
			t.Errorf("Available = %q is not an ordered subset of %q", avail, want)
		}
		last = i
	}
}

func TestOpenRejects(t *testing.T) {
	fileDir := filepath.Join(t.TempDir(), "keys")
	pass := func(string) (string, error) { return "pw", nil }
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		o           Options
		unavailable bool
		want        []string
	}{
		{"unknown backend", Options{Backend: "gnome"}, false, []string{`"gnome"`, "secret-service", "keyctl", "file"}},
		{"bad keyring name", Options{Backend: "file", KeyringName: "a/b", FileDir: fileDir, Passphrase: pass}, false, []string{"a/b"}},
		{"file without dir", Options{Backend: "file", Passphrase: pass}, true, []string{"file", "no directory"}},
		{"file relative dir", Options{Backend: "file", FileDir: "keys", Passphrase: pass}, true, []string{"absolute"}},
		{"file without passphrase", Options{Backend: "file", FileDir: fileDir}, true, []string{"passphrase"}},
		{"file dir is a file", Options{Backend: "file", FileDir: notADir, Passphrase: pass}, true, []string{notADir}},
		{"pass not installed", Options{Backend: "pass", PassCmd: "alirole-no-such-pass", PassDir: t.TempDir()}, true, []string{"pass", "alirole-no-such-pass", "not installed", "--backend file", BackendEnv}},
	}
	if runtime.GOOS != "darwin" {
		tests = append(tests, struct {
			name        string
			o           Options
			unavailable bool
			want        []string
		}{"keychain elsewhere", Options{Backend: "keychain"}, true, []string{"keychain", "macOS"}})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ring, err := Open(tc.o)
			if err == nil {
				t.Fatalf("Open succeeded: %T", ring)
			}
			if errors.Is(err, ErrUnavailable) != tc.unavailable {
				t.Errorf("errors.Is(err, ErrUnavailable) = %v, want %v (err %v)", !tc.unavailable, tc.unavailable, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestOpenPass(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no pass backend on windows")
	}
	fake, err := exec.LookPath("true")
	if err != nil {
		testkit.Missing(t, "true", "no true(1) to stand in for pass")
	}
	testkit.Uses(t, "true")
	store := t.TempDir()
	o := Options{Backend: "pass", PassCmd: fake, PassDir: store}
	_, err = Open(o)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "pass init") {
		t.Fatalf("uninitialised store: err = %v", err)
	}
	if err := os.WriteFile(filepath.Join(store, ".gpg-id"), []byte("someone@example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(o); err != nil {
		t.Fatalf("initialised store: %v", err)
	}
	// PASSWORD_STORE_DIR is honoured the way pass itself does.
	o.PassDir, o.Getenv = "", envMap(map[string]string{"PASSWORD_STORE_DIR": store})
	if _, err := Open(o); err != nil {
		t.Fatalf("store from PASSWORD_STORE_DIR: %v", err)
	}
}

func TestOpenSecretServiceWithoutBus(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("secret-service is linux-only")
	}
	tests := map[string]string{
		"unset":       "",
		"autolaunch":  "autolaunch:",
		"unreachable": "unix:path=" + filepath.Join(t.TempDir(), "no-bus"),
	}
	for name, addr := range tests {
		t.Run(name, func(t *testing.T) {
			for _, backend := range []string{"secret-service", "kwallet"} {
				start := time.Now()
				_, err := Open(Options{Backend: backend, Getenv: envMap(map[string]string{"DBUS_SESSION_BUS_ADDRESS": addr})})
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("%s: Open took %v", backend, d)
				}
				if !errors.Is(err, ErrUnavailable) {
					t.Fatalf("%s: err = %v, want ErrUnavailable", backend, err)
				}
				msg := err.Error()
				for _, w := range []string{backend, "--backend file", BackendEnv} {
					if !strings.Contains(msg, w) {
						t.Errorf("%s: error %q does not mention %q", backend, msg, w)
					}
				}
				if addr == "" && !strings.Contains(msg, "DBUS_SESSION_BUS_ADDRESS is not set") {
					t.Errorf("%s: error %q does not say the bus address is unset", backend, msg)
				}
				if name == "unreachable" && !strings.Contains(msg, "cannot reach") {
					t.Errorf("%s: error %q does not say the bus is unreachable", backend, msg)
				}
			}
		})
	}
}

func backendsNamed(t *testing.T, names ...string) []backend {
	t.Helper()
	var out []backend
	for _, n := range names {
		i := slices.IndexFunc(backends[:], func(b backend) bool { return b.name == n })
		if i < 0 {
			t.Fatalf("no backend %q", n)
		}
		out = append(out, backends[i])
	}
	return out
}

// The automatic choice skips unusable backends with their reasons and only
// takes the file backend when the caller wired a passphrase source.
func TestOpenFirst(t *testing.T) {
	o := Options{
		PassCmd: "alirole-no-such-pass",
		FileDir: filepath.Join(t.TempDir(), "keys"),
		Getenv:  envMap(nil),
	}.withDefaults()
	candidates := backendsNamed(t, "secret-service", "pass", "file")

	_, err := openFirst(candidates, o)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("without passphrase: err = %v, want ErrUnavailable", err)
	}
	for _, w := range []string{"secret-service:", "pass:", "file: no directory or passphrase source", "--backend", BackendEnv} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
	if _, statErr := os.Stat(o.FileDir); !errors.Is(statErr, os.ErrNotExist) {
		t.Errorf("file backend was prepared although it was not chosen: %v", statErr)
	}

	o.Passphrase = func(string) (string, error) { return "pw", nil }
	ring, err := openFirst(candidates, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := ring.(*fileRing); !ok {
		t.Fatalf("chose %T, want the file backend", ring)
	}
}
