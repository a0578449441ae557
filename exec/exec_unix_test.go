//go:build unix && !aix

package exec

import (
	"bytes"
	"errors"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alirole/alirole/internal/testkit"
)

func TestReplace(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		testkit.Missing(t, "sh", "no /bin/sh")
	}
	testkit.Uses(t, "sh")
	cmd := osexec.Command(testBinary(), "it's  $HOME")
	cmd.Env = helperEnviron("replace")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *osexec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 3 {
		t.Fatalf("replaced process ended with %v (stderr %q); want exit 3", err, stderr.String())
	}
	// $HOME is empty: the environment is exactly the Spec's, nothing of
	// the parent's.
	if want := "it's  $HOME|\n"; stdout.String() != want {
		t.Fatalf("output %q, want %q", stdout.String(), want)
	}
	if stderr.Len() != 0 {
		t.Fatalf("Replace returned in the helper: %q", stderr.String())
	}
}

func TestReplaceErrors(t *testing.T) {
	// None of these may replace the test process: each fails before or at
	// execve.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(t.TempDir(), "missing")
	tests := []struct {
		name string
		s    Spec
		want string
	}{
		{"no path", Spec{}, "no program"},
		{"missing program", Spec{Path: missing}, "no such file"},
		{"missing program with dir", Spec{Path: missing, Dir: t.TempDir()}, "no such file"},
		{"bad dir", Spec{Path: "/bin/sh", Dir: filepath.Join(t.TempDir(), "nodir")}, "no such file"},
		{"redirected stdout", Spec{Path: "/bin/sh", Stdout: &bytes.Buffer{}}, "cannot redirect"},
		{"redirected stdin", Spec{Path: "/bin/sh", Stdin: strings.NewReader("")}, "cannot redirect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Replace(tt.s)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Replace error %v, want %q", err, tt.want)
			}
			if now, _ := os.Getwd(); now != wd {
				t.Fatalf("working directory left at %s", now)
			}
		})
	}
}

func TestLookPath(t *testing.T) {
	dir1, dir2 := t.TempDir(), t.TempDir()
	write := func(path string, mode os.FileMode) {
		t.Helper()
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil { // umask-proof
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir1, "tool"), 0o755)
	write(filepath.Join(dir2, "tool"), 0o755)
	write(filepath.Join(dir1, "plain"), 0o644)
	write(filepath.Join(dir2, "plain"), 0o755)
	if err := os.Mkdir(filepath.Join(dir1, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(dir2, "adir"), 0o755)
	path := "PATH=" + dir1 + string(filepath.ListSeparator) + dir2

	tests := []struct {
		name    string
		cmd     string
		env     []string
		want    string
		wantErr string
	}{
		{name: "first match wins", cmd: "tool", env: []string{path}, want: filepath.Join(dir1, "tool")},
		{name: "skips non-executable", cmd: "plain", env: []string{path}, want: filepath.Join(dir2, "plain")},
		{name: "skips directory", cmd: "adir", env: []string{path}, want: filepath.Join(dir2, "adir")},
		{name: "first PATH entry in env counts", cmd: "tool", env: []string{"PATH=" + dir2, path}, want: filepath.Join(dir2, "tool")},
		{name: "not found", cmd: "nope", env: []string{path}, wantErr: "command not found: nope"},
		// sh is on the parent's PATH but not on the child's.
		{name: "parent PATH ignored", cmd: "sh", env: []string{path}, wantErr: "command not found: sh"},
		{name: "no PATH", cmd: "tool", env: []string{"HOME=/"}, wantErr: "command not found: tool"},
		{name: "empty name", cmd: "", env: []string{path}, wantErr: "command not found"},
		{name: "slash used as is", cmd: filepath.Join(dir1, "tool"), env: nil, want: filepath.Join(dir1, "tool")},
		{name: "slash missing", cmd: filepath.Join(dir1, "none"), env: []string{path}, wantErr: "command not found: " + filepath.Join(dir1, "none")},
		{name: "slash not executable", cmd: filepath.Join(dir1, "plain"), env: []string{path}, wantErr: "not an executable file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LookPath(tt.cmd, tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("LookPath = %q, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("LookPath = %q, %v; want %q", got, err, tt.want)
			}
		})
	}

	// ErrNotFound is matchable.
	if _, err := LookPath("nope", []string{path}); !errors.Is(err, ErrNotFound) {
		t.Errorf("not-found error %v does not wrap ErrNotFound", err)
	}

	// A command reached through a relative PATH entry is refused.
	t.Chdir(dir1)
	for _, p := range []string{"PATH=.", "PATH=/nonexistent:", "PATH=:/nonexistent", "PATH=sub/.."} {
		got, err := LookPath("tool", []string{p})
		if err == nil || !strings.Contains(err.Error(), "relative PATH entry") {
			t.Errorf("%s: LookPath = %q, %v; want refusal", p, got, err)
		}
	}
}

func TestDefaultShell(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if got := DefaultShell(getenv); got != "/bin/sh" {
		t.Errorf("DefaultShell without SHELL = %q", got)
	}
	env["SHELL"] = "/usr/bin/fish"
	if got := DefaultShell(getenv); got != "/usr/bin/fish" {
		t.Errorf("DefaultShell = %q", got)
	}
}
