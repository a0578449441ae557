//go:build !windows

package e2e

import (
	"os"
	"strings"
	"testing"

	"github.com/alirole/alirole/internal/stsemu"
)

func TestSSOPopulatePagesAndIsIdempotent(t *testing.T) {
	w := &stsemu.World{CloudSSO: &stsemu.CloudSSO{}}
	for i, id := range []string{"100000000001", "100000000002", "100000000003"} {
		w.Accounts = append(w.Accounts, stsemu.Account{ID: id, Roles: []stsemu.Role{{Name: ssoAdmin}, {Name: ssoRead}}})
		name := []string{"Prod Main", "Dev", "Log Archive"}[i]
		w.CloudSSO.Assignments = append(w.CloudSSO.Assignments,
			stsemu.SSOAssignment{AccountID: id, AccountName: name, AccessConfigurationID: "ac-admin", AccessConfigurationName: "Admin", RoleName: ssoAdmin},
			stsemu.SSOAssignment{AccountID: id, AccountName: name, AccessConfigurationID: "ac-read", AccessConfigurationName: "ReadOnly", RoleName: ssoRead})
	}
	b := newSSOBoxWorld(t, w, stsemu.SSOOptions{PageSize: 1})
	srv := b.emu
	// A profile the user wrote, with a name populate would pick.
	user := "[profile sso-dev-admin]\nregion_id = cn-beijing\ncredential_source = external\nprocess_command = /bin/false\n"
	b.writeConfig(user)

	r := b.detached(nil, false, "sso", "populate", "--sign-in-url", b.signInURL)
	if r.code != 0 {
		t.Fatalf("populate: %s", r)
	}
	if !strings.Contains(r.stderr, "5 profile(s) added, 0 already present, 1 skipped") || !strings.Contains(r.stderr, "sso-dev-admin") {
		t.Fatalf("populate output:\n%s", r.stderr)
	}
	r = b.detached(nil, false, "sso", "populate", "--prefix", "corp-", "--sign-in-url", b.signInURL)
	if r.code != 0 || !strings.Contains(r.stderr, "1 profile(s) added, 5 already present, 0 skipped") {
		t.Fatalf("populate with prefix: %s", r)
	}
	cfg, _ := os.ReadFile(b.path("config"))
	if !strings.HasPrefix(string(cfg), user) {
		t.Fatal("the user's profile was changed")
	}
	r = b.detached(nil, false, "list", "--profiles")
	want := "corp-dev-admin\nsso-dev-admin\nsso-dev-readonly\nsso-log-archive-admin\nsso-log-archive-readonly\nsso-prod-main-admin\nsso-prod-main-readonly\n"
	if r.stdout != want {
		t.Fatalf("profiles:\n%s\nwant:\n%s", r.stdout, want)
	}
	// Paging: 3 account pages, 2 pages per account, twice.
	if n := srv.Count(stsemu.ActionSSOListAccounts, ""); n != 6 {
		t.Fatalf("%d account pages", n)
	}
	if n := srv.Count(stsemu.ActionSSOListAccessConfigs, ""); n != 12 {
		t.Fatalf("%d access configuration pages", n)
	}
	// Run again: nothing changes, no new sign-in.
	r = b.detached(nil, false, "sso", "populate", "--sign-in-url", b.signInURL)
	after, _ := os.ReadFile(b.path("config"))
	if r.code != 0 || string(after) != string(cfg) || !strings.Contains(r.stderr, "0 profile(s) added, 6 already present, 0 skipped") {
		t.Fatalf("re-run changed the config or said otherwise: %s", r)
	}
	if n := srv.Count(stsemu.ActionSSODeviceAuthorization, ""); n != 1 {
		t.Fatalf("%d sign-ins", n)
	}
	// A populated profile works.
	r = b.detached(nil, true, "export", "--format", "external", "sso-log-archive-readonly")
	if r.code != 0 {
		t.Fatalf("export: %s", r)
	}
	c := ssoExternal(t, r.stdout)
	if arn := callerArn(t, srv, c.AccessKeyID, c.AccessKeySecret, c.STSToken); !strings.HasPrefix(arn, "acs:ram::100000000003:assumed-role/"+ssoRead+"/") {
		t.Fatalf("caller %q", arn)
	}
	b.checkHygiene(c.AccessKeySecret, c.STSToken)
}

// TestSSOPopulateEscapesPortalNames: account and access configuration
// names come from the portal; escape sequences in them are shown escaped,
// never sent to the terminal (as for every other server text).
func TestSSOPopulateEscapesPortalNames(t *testing.T) {
	w := &stsemu.World{CloudSSO: &stsemu.CloudSSO{}, Accounts: []stsemu.Account{{ID: "100000000001", Roles: []stsemu.Role{{Name: ssoAdmin}}}}}
	w.CloudSSO.Assignments = []stsemu.SSOAssignment{{AccountID: "100000000001", AccountName: "Evil\x1b]0;pwned\a\x1b[2J",
		AccessConfigurationID: "ac-admin", AccessConfigurationName: "Admin\x1b[31m", RoleName: ssoAdmin}}
	b := newSSOBoxWorld(t, w, stsemu.SSOOptions{})
	b.writeConfig("")
	for i := 0; i < 2; i++ { // "added", then "already in the config"
		r := b.detached(nil, false, "sso", "populate", "--sign-in-url", b.signInURL)
		if r.code != 0 {
			t.Fatalf("populate: %s", r)
		}
		if strings.ContainsAny(r.stderr, "\x1b\a") {
			t.Fatalf("run %d: a portal name reached the terminal raw: %q", i+1, r.stderr)
		}
	}
}
