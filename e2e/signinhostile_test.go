//go:build linux || darwin

package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
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
	}
	chains := []struct {
		name, profile, root, action, login string
		box                                func(t *testing.T) *ssoBox
	}{
		{"sso", "ops", "sso-admin", stsemu.ActionSSOCloudCredentials, "sso", func(t *testing.T) *ssoBox { return newSSOBox(t, stsemu.SSOOptions{}) }},
		{"oauth", "ops-o", "me", stsemu.ActionOAuthExchange, "oauth", newOAuthBox},
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
					ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
					defer cancel()
					cmd := exec.CommandContext(ctx, binPath, "export", "--format", "external", ch.profile)
					cmd.Env = b.env
					cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
					var out, errb strings.Builder
					cmd.Stdout, cmd.Stderr = &out, &errb
					start := time.Now()
					err := cmd.Run()
					took := time.Since(start)
					if err == nil {
						t.Fatalf("hostile answer accepted; stdout %q", out.String())
					}
					rss := int64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) // KiB on Linux
					if runtime.GOOS == "darwin" {
						rss >>= 10
					}
					msg := errb.String()
					t.Logf("took %s, max RSS %d MiB, stderr: %q", took.Round(time.Millisecond), rss>>10, msg)
					for _, want := range []string{`profile "` + ch.root + `"`, tc.want, "what to do"} {
						if !strings.Contains(msg, want) {
							t.Errorf("stderr lacks %q", want)
						}
					}
					if strings.ContainsAny(msg, "\x1b\a") {
						t.Errorf("raw escape sequence on stderr")
					}
					if out.Len() != 0 {
						t.Errorf("stdout not empty: %q", out.String())
					}
					if rss > 100<<10 {
						t.Errorf("max RSS %d MiB", rss>>10)
					}
					if entries, _ := filepath.Glob(b.path("keys/session*")); len(entries) != 0 {
						t.Errorf("sessions cached after a hostile answer: %v", entries)
					}
					if n := b.emu.Count(ch.action, ""); n != 0 {
						t.Errorf("%d successful %s calls recorded", n, ch.action)
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
