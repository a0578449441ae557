//go:build linux || darwin

package e2e

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/alirole/alirole/internal/stsemu"
)

// TestHostileSignInAnswersRealBinary: the released binary, given
// CloudSSO /cloud-credentials and OAuth /v1/exchange answers no real
// service sends, exits non-zero with an error naming the signed-in profile
// and what to do, prints nothing on stdout, caches no session and writes
// no raw escape sequence to stderr; an 800 MiB answer costs neither the
// memory nor the time to read it. Then the chains work again.
func TestHostileSignInAnswersRealBinary(t *testing.T) {
	cases := []struct {
		name  string
		fault stsemu.Fault
		want  string
	}{
		{"800 MiB answer", stsemu.Fault{HugeBody: 800 << 20}, "larger than 1024 KiB"},
		{"expiration in 2099", stsemu.Fault{Expiration: "2099-01-01T00:00:00Z"}, "Expiration 2099-01-01T00:00:00Z is later than"},
		{"expiration in 2001", stsemu.Fault{Expiration: "2001-01-01T00:00:00Z"}, "Expiration 2001-01-01T00:00:00Z is already past"},
		{"empty credentials", stsemu.Fault{EmptyCredentials: true}, "has no credentials in it"},
		{"oversized token", stsemu.Fault{OversizeToken: 512 << 10}, "SecurityToken is 5"},
		{"escape sequences in an error", stsemu.Fault{Status: 403, Code: "NoPermission", Message: stsemu.EscapeMessage}, "NoPermission"},
		// Failures that are not hostile read as sentences too.
		{"a 500", stsemu.Fault{Status: 500}, "failed on its side (InternalError"},
		{"an HTML page", stsemu.Fault{MalformedBody: true, Status: 502}, "answered with an HTML page instead of an error document"},
	}
	chains := []struct {
		name, profile, root, action, login, tokenAction string
		box                                             func(t *testing.T) *ssoBox
	}{
		{"sso", "ops", "sso-admin", stsemu.ActionSSOCloudCredentials, "sso", stsemu.ActionSSOToken, func(t *testing.T) *ssoBox { return newSSOBox(t, stsemu.SSOOptions{}) }},
		{"oauth", "ops-o", "me", stsemu.ActionOAuthExchange, "oauth", stsemu.ActionOAuthToken, newOAuthBox},
	}
	for _, ch := range chains {
		t.Run(ch.name, func(t *testing.T) {
			b := ch.box(t)
			if r := b.detached(nil, false, ch.login, "login", ch.root); r.code != 0 {
				t.Fatalf("login: %s", r)
			}
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					b.emu.ClearFaults()
					f := tc.fault
					f.Action = ch.action
					b.emu.Inject(f)
					msg := exportRefused(t, b.env, ch.profile, true)
					for _, want := range []string{`profile "` + ch.root + `"`, tc.want, "what to do"} {
						if !strings.Contains(msg, want) {
							t.Errorf("stderr lacks %q", want)
						}
					}
					if strings.ContainsAny(msg, "\x1b\a") {
						t.Errorf("raw escape sequence on stderr")
					}
					if entries, _ := filepath.Glob(b.path("keys/session*")); len(entries) != 0 {
						t.Errorf("sessions cached after a hostile answer: %v", entries)
					}
					if n := b.emu.Count(ch.action, ""); n != 0 {
						t.Errorf("%d successful %s calls recorded", n, ch.action)
					}
				})
			}
			// The token endpoint of the sign-in itself: a login given an
			// oversized, empty or huge token answer fails clearly and
			// stores nothing (the chain then still uses the old token).
			for _, tc := range []struct {
				name  string
				fault stsemu.Fault
				want  string
			}{
				{"oversized access token", stsemu.Fault{OversizeToken: 512 << 10}, "bytes long, more than the 16384 any real one has"},
				{"empty access token", stsemu.Fault{EmptyCredentials: true}, "lacks"},
				{"800 MiB token answer", stsemu.Fault{HugeBody: 800 << 20}, "larger than 1024 KiB"},
			} {
				t.Run("login "+tc.name, func(t *testing.T) {
					b.emu.ClearFaults()
					f := tc.fault
					f.Action = ch.tokenAction
					b.emu.Inject(f)
					start := time.Now()
					args := []string{ch.login, "login", ch.root}
					if ch.login == "sso" {
						args = []string{ch.login, "login", "--force", ch.root} // oauth login always signs in
					}
					r := b.detached(nil, false, args...)
					t.Logf("took %s: %s", time.Since(start).Round(time.Millisecond), r.stderr)
					if r.code == 0 || !strings.Contains(r.stderr, tc.want) || r.stdout != "" || strings.ContainsAny(r.stderr, "\x1b\a") {
						t.Fatalf("hostile token answer not refused clearly: %s", r)
					}
					if n := b.emu.Count(ch.tokenAction, ""); n != 1 {
						t.Fatalf("%d successful %s calls, want only the first login's", n, ch.tokenAction)
					}
				})
			}
			b.emu.ClearFaults()
			if r := b.detached(nil, true, "export", "--format", "external", ch.profile); r.code != 0 {
				t.Fatalf("after the faults: %s", r)
			}
		})
	}
}
