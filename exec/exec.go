// Package exec starts the program a credential wrapper was asked to run: with
// exactly the environment it was given, transparently for signals and job
// control, or by replacing the wrapper's own process.
package exec

import (
	"errors"
	"io"
	"io/fs"
	"runtime"
)

// Spec describes a program to run.
type Spec struct {
	// Path is the executable to start, already resolved (see LookPath).
	Path string
	// Args[0] is the program name as the user gave it; empty means Path.
	Args []string
	// Env is the complete environment of the program, nothing is inherited:
	// a credential wrapper must know exactly what it hands over. nil means
	// an empty environment.
	Env []string
	// Standard streams for Run. nil connects the stream to the null device;
	// an *os.File is handed to the program directly, anything else goes
	// through a pipe.
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// Dir is the working directory; "" keeps the current one.
	Dir string
}

// ErrNotFound is wrapped by LookPath when no executable matches.
var ErrNotFound = errors.New("command not found")

// StartFailureCode is the exit status a shell gives when a program cannot
// be started (POSIX 2.8.2): 127 when it is not found, 126 when it is found
// but cannot be executed (no permission, not an executable, a directory).
// Wrappers report the same so scripts can tell "no such command" apart
// from the command failing.
func StartFailureCode(err error) int {
	if errors.Is(err, ErrNotFound) || errors.Is(err, fs.ErrNotExist) || errors.Is(err, errNoPath) {
		return 127
	}
	return 126
}

// errNoPath rejects a Spec without a program.
var errNoPath = errors.New("no program to run")

// DefaultShell is the program to run when the user names none: $SHELL, else
// the platform's shell (/bin/sh; %COMSPEC% or cmd.exe on Windows).
func DefaultShell(getenv func(string) string) string {
	if sh := getenv("SHELL"); sh != "" {
		return sh
	}
	if runtime.GOOS == "windows" {
		if cs := getenv("COMSPEC"); cs != "" {
			return cs
		}
		return "cmd.exe"
	}
	return "/bin/sh"
}

// argv returns the argument vector for s, defaulting argv[0] to Path.
func (s Spec) argv() []string {
	if len(s.Args) == 0 {
		return []string{s.Path}
	}
	return s.Args
}

// env returns the environment for s; a nil Env must stay empty rather than
// let os.StartProcess fall back to the parent's environment.
func (s Spec) env() []string {
	if s.Env == nil {
		return []string{}
	}
	return s.Env
}

// envValue returns the value of the first entry named name in env, the one
// getenv(3) in the child (and execvp) would see.
func envValue(env []string, name string, sameName func(a, b string) bool) (string, bool) {
	for _, e := range env {
		for i := 1; i < len(e); i++ {
			if e[i] == '=' {
				if sameName(e[:i], name) {
					return e[i+1:], true
				}
				break
			}
		}
	}
	return "", false
}
