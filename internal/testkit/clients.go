// Package testkit holds what the tests of several packages share: the rule
// for tests that need a client program, a kernel feature or a keyring
// backend the machine may lack, and small helpers. Only tests import it.
package testkit

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const (
	// RequireEnv, when set (.ci/run sets it), makes a missing client a
	// failure instead of a skip: CI installs every one of them.
	RequireEnv = "ALIROLE_REQUIRE_CLIENTS"
	// AllowMissingEnv lists (comma-separated) clients that may be missing
	// even under RequireEnv, for a machine known to lack them (README,
	// "Testing": a container whose seccomp profile blocks keyctl).
	AllowMissingEnv = "ALIROLE_ALLOW_MISSING"
	// LogEnv names a file that gets a line per test and client,
	// "CLIENT <name> ran", "CLIENT <name> failed" or
	// "CLIENT <name> skipped <kind>: <reason>" (kind:
	// missing, allowed, deferred, unsupported), then the test's name;
	// .ci/run tallies them with scripts/client-tally.
	LogEnv = "ALIROLE_CLIENT_LOG"
)

// Required reports whether missing clients must fail the tests here.
func Required() bool { return os.Getenv(RequireEnv) != "" }

// Uses records that t exercises client; the record is made when t ends:
// "ran", or "failed" when t failed (also when it failed because a client
// was missing), none when it was skipped.
func Uses(t testing.TB, client string) {
	t.Helper()
	t.Cleanup(func() {
		switch {
		case t.Skipped():
		case t.Failed():
			record(t, client, "failed")
		default:
			record(t, client, "ran")
		}
	})
}

// Missing ends t because client is not available: it fails when clients
// are required (and client is not in AllowMissingEnv), else it skips.
// Either way the skip is recorded.
func Missing(t testing.TB, client, format string, args ...any) {
	t.Helper()
	reason := fmt.Sprintf(format, args...)
	switch {
	case !Required():
		record(t, client, "skipped missing: "+reason)
	case allowedMissing(client):
		record(t, client, "skipped allowed: "+reason+" ("+AllowMissingEnv+")")
	default:
		record(t, client, "skipped missing: "+reason)
		t.Fatalf("%s is required here (%s=1): %s", client, RequireEnv, reason)
	}
	t.Skipf("%s: %s", client, reason)
}

// Deferred skips t, even when clients are required, because client is
// tested by another run of the same tests that provides it (where), such
// as scripts/keyring-suite with its throwaway Secret Service. The tally of
// .ci/run fails when no run used client.
func Deferred(t testing.TB, client, where string) {
	t.Helper()
	record(t, client, "skipped deferred: runs in "+where)
	t.Skipf("%s: runs in %s", client, where)
}

// Unsupported skips t, even when clients are required, because client
// cannot be installed where the tests run. Every use must be explained in
// the README's "Testing" section.
func Unsupported(t testing.TB, client, reason string) {
	t.Helper()
	record(t, client, "skipped unsupported: "+reason)
	t.Skipf("%s: %s", client, reason)
}

// LookPath returns the path of program, which t uses as client, or ends t
// through Missing.
func LookPath(t testing.TB, client, program string) string {
	t.Helper()
	path, err := exec.LookPath(program)
	if err != nil {
		Missing(t, client, "%s not installed", program)
	}
	Uses(t, client)
	return path
}

func allowedMissing(client string) bool {
	return slices.Contains(strings.Split(os.Getenv(AllowMissingEnv), ","), client)
}

// record logs the line for humans (go test -v) and appends it to the
// LogEnv file: one write of a short line with O_APPEND, so the test
// processes of several packages can share the file.
func record(t testing.TB, client, what string) {
	t.Helper()
	line := "CLIENT " + client + " " + strings.ReplaceAll(what, "\n", " ")
	t.Log(line)
	path := os.Getenv(LogEnv)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Errorf("client log: %v", err)
		return
	}
	defer f.Close()
	if _, err := f.WriteString(line + " (" + t.Name() + ")\n"); err != nil {
		t.Errorf("client log: %v", err)
	}
}
