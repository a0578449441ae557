package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/alirole/alirole/internal/creds"
	"github.com/alirole/alirole/internal/identity"
	"github.com/alirole/alirole/internal/stsemu"
)

const spareKeyID = "LTAI5tAliceSpareKey00001"

// rotationSandbox is ready() on a world of the test's choosing, with the
// RAM endpoint pointed at the emulator.
func rotationSandbox(t *testing.T, world *stsemu.World) (*sandbox, *stsemu.Server) {
	t.Helper()
	emu, err := stsemu.New(world, stsemu.Options{CA: testCA})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.StartTLS("127.0.0.1:0", ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emu.Close() })
	s := newSandbox(t, emu, caPath)
	s.env = append(s.env, "ALIROLE_RAM_ENDPOINT="+emu.Endpoint())
	s.writeConfig(chainConfig)
	s.addAlice()
	return s, emu
}

// aliceKeys returns alice's AccessKeys as the emulator (RAM) has them.
func aliceKeys(emu *stsemu.Server) []stsemu.AccessKey {
	return emu.World().Accounts[0].Users[0].AccessKeys
}

// stsCheck calls GetCallerIdentity with a long-term key in this process.
func stsCheck(emu *stsemu.Server, id, secret string) error {
	_, err := identity.Get(creds.Credentials{AccessKeyID: id, AccessKeySecret: secret}, emu.Endpoint(), 10*time.Second)
	return err
}

func TestRotateReplacesKeyAndClearsSessions(t *testing.T) {
	for _, tc := range []struct {
		name        string
		propagation int
	}{
		{"immediate", 0},
		{"propagation delay", 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, emu := rotationSandbox(t, testWorld())
			emu.SetKeyPropagation(tc.propagation)
			s.ok("export", "--format", "external", "audit") // caches admin, prod, audit
			if got := counts(emu); got != [3]int{1, 1, 1} {
				t.Fatalf("warm-up calls %v", got)
			}

			r := s.run([]string{"ALIROLE_DEBUG=1"}, "rotate", "alice")
			if r.code != 0 {
				t.Fatalf("rotate: %s", r)
			}
			keys := aliceKeys(emu)
			if len(keys) != 1 || keys[0].ID == aliceKeyID {
				t.Fatalf("RAM keys after rotation: %+v", len(keys))
			}
			fresh := keys[0]
			for _, secret := range []string{aliceSecret, fresh.Secret} {
				if strings.Contains(r.stderr, secret) || strings.Contains(r.stdout, secret) {
					t.Fatal("rotate printed a secret")
				}
			}
			if !strings.Contains(r.stderr, fresh.ID) || !strings.Contains(r.stderr, "Cleared 3 cached session(s)") {
				t.Fatalf("rotate output:\n%s", r.stderr)
			}

			// The old key is gone for STS too.
			if err := stsCheck(emu, aliceKeyID, aliceSecret); err == nil || !strings.Contains(err.Error(), "InvalidAccessKeyId.NotFound") {
				t.Fatalf("old key after rotation: %v", err)
			}
			// The keychain holds the new key.
			ext := parseExternal(t, s.ok("export", "--format", "external", "alice").stdout)
			if ext.Mode != "AK" || ext.AccessKeyID != fresh.ID || ext.AccessKeySecret != fresh.Secret {
				t.Fatalf("stored key: mode %s id %s", ext.Mode, ext.AccessKeyID)
			}
			// Dependent sessions were cleared: prod is resolved afresh, from
			// the new key.
			s.ok("export", "--format", "external", "prod")
			if got := counts(emu); got != [3]int{2, 2, 1} {
				t.Fatalf("after rotation, export prod made calls %v, want [2 2 1]", got)
			}
			var adminCaller string
			for _, c := range emu.Calls() {
				if c.Action == "AssumeRole" && c.RoleArn == adminArn && c.Success {
					adminCaller = c.AccessKeyID
				}
			}
			if adminCaller != fresh.ID {
				t.Fatalf("admin assumed with %s, want the new key %s", adminCaller, fresh.ID)
			}
		})
	}
}

func TestRotateAtKeyLimitKeepsOldKey(t *testing.T) {
	w := testWorld()
	u := &w.Accounts[0].Users[0]
	u.AccessKeys = append(u.AccessKeys, stsemu.AccessKey{ID: spareKeyID, Secret: "spare-secret"})
	s, emu := rotationSandbox(t, w)

	r := s.run(nil, "rotate", "alice")
	if r.code == 0 {
		t.Fatalf("rotate at the limit succeeded: %s", r)
	}
	for _, want := range []string{"LimitExceeded.User.AccessKey", "The active key is " + aliceKeyID, spareKeyID} {
		if !strings.Contains(r.stderr, want) {
			t.Fatalf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if keys := aliceKeys(emu); len(keys) != 2 || keys[0].ID != aliceKeyID || keys[1].ID != spareKeyID {
		t.Fatalf("RAM keys changed: %+v", len(keys))
	}
	if err := stsCheck(emu, aliceKeyID, aliceSecret); err != nil {
		t.Fatalf("old key broken: %v", err)
	}
	ext := parseExternal(t, s.ok("export", "--format", "external", "alice").stdout)
	if ext.AccessKeyID != aliceKeyID {
		t.Fatalf("keychain holds %s", ext.AccessKeyID)
	}
	if out := s.ok("whoami", "alice").stdout; !strings.Contains(out, stsemu.UserARN(acct, "alice")) {
		t.Fatalf("whoami alice: %s", out)
	}
}

func TestRotateDeleteFailureReportsActiveKey(t *testing.T) {
	s, emu := rotationSandbox(t, testWorld())
	emu.Inject(stsemu.Fault{Action: "DeleteAccessKey", Status: 403, Code: "NoPermission"})
	r := s.run(nil, "rotate", "alice")
	if r.code == 0 {
		t.Fatalf("rotate succeeded: %s", r)
	}
	keys := aliceKeys(emu)
	if len(keys) != 2 {
		t.Fatalf("RAM keys %d, want both", len(keys))
	}
	fresh := keys[1]
	if !strings.Contains(r.stderr, "The active key is "+fresh.ID) || !strings.Contains(r.stderr, "DeleteAccessKey --UserAccessKeyId "+aliceKeyID) {
		t.Fatalf("stderr:\n%s", r.stderr)
	}
	ext := parseExternal(t, s.ok("export", "--format", "external", "alice").stdout)
	if ext.AccessKeyID != fresh.ID {
		t.Fatalf("keychain holds %s, want %s", ext.AccessKeyID, fresh.ID)
	}
}

func TestRotateRefusesProfilesWithoutStoredKey(t *testing.T) {
	s, emu := rotationSandbox(t, testWorld())
	r := s.run(nil, "rotate", "prod")
	if r.code == 0 || !strings.Contains(r.stderr, "alirole rotate alice") {
		t.Fatalf("rotate prod: %s", r)
	}
	if len(emu.Calls()) != 0 {
		t.Fatalf("calls made: %d", len(emu.Calls()))
	}
}
