package stsemu

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDemoWorld(t *testing.T) {
	w := DemoWorld()
	if err := w.Validate(); err != nil {
		t.Fatal(err)
	}
	roles := w.Accounts[0].Roles
	if len(roles) != 3 || roles[2].Trust[0].ExternalID != DemoExternalID {
		t.Fatalf("roles %+v", roles)
	}
	if RoleARN(DemoAccountID, roles[1].Name) != DemoProdRoleARN {
		t.Fatal("demo-prod arn mismatch")
	}
	// Each call returns an independent value.
	w.Accounts[0].Roles[0].Trust = nil
	if len(DemoWorld().Accounts[0].Roles[0].Trust) != 1 {
		t.Fatal("DemoWorld shares state")
	}
}

func TestParseWorld(t *testing.T) {
	valid := `{"accounts":[{"id":"123456789012","users":[{"name":"u","userId":"42","noStsAccess":true,"accessKeys":[{"id":"AK1","secret":"s","status":"Inactive"}]}],
		"roles":[{"name":"R","roleId":"99","maxSessionDuration":7200,"trust":[{"principal":"acs:ram::123456789012:user/u","externalId":"ext-1"},{"principal":"acs:ram::999999999999:root"}]}]}]}`
	w, err := ParseWorld([]byte(valid))
	if err != nil {
		t.Fatal(err)
	}
	a := w.Accounts[0]
	if !a.Users[0].NoSTSAccess || a.Users[0].AccessKeys[0].Status != StatusInactive || a.Roles[0].MaxSessionDuration != 7200 ||
		a.Roles[0].Trust[0].ExternalID != "ext-1" || roleID(a.ID, a.Roles[0]) != "99" || userID(a.ID, a.Users[0]) != "42" {
		t.Fatalf("parsed %+v", w)
	}

	tests := []struct{ name, json, want string }{
		{"empty", `{}`, "no accounts"},
		{"unknown field", `{"accounts":[{"id":"123456789012","rolez":[]}]}`, "rolez"},
		{"trailing", `{"accounts":[{"id":"123456789012"}]} {}`, "trailing"},
		{"short account", `{"accounts":[{"id":"12345"}]}`, `accounts[0] "12345": account id must be 12-16 digits`},
		{"long account", `{"accounts":[{"id":"12345678901234567"}]}`, "12-16 digits"},
		{"duplicate account", `{"accounts":[{"id":"123456789012"},{"id":"123456789012"}]}`, "accounts[1]"},
		{"bad user", `{"accounts":[{"id":"123456789012","users":[{"name":"a b"}]}]}`, `users[0] "a b"`},
		{"duplicate user", `{"accounts":[{"id":"123456789012","users":[{"name":"a"},{"name":"A"}]}]}`, `users[1] "A": duplicate`},
		{"sts key id", `{"accounts":[{"id":"123456789012","users":[{"name":"a","accessKeys":[{"id":"STS.x","secret":"s"}]}]}]}`, "STS. prefix"},
		{"empty secret", `{"accounts":[{"id":"123456789012","users":[{"name":"a","accessKeys":[{"id":"AK","secret":""}]}]}]}`, `accessKeys[0] "AK": secret is empty`},
		{"bad status", `{"accounts":[{"id":"123456789012","users":[{"name":"a","accessKeys":[{"id":"AK","secret":"s","status":"on"}]}]}]}`, "status must be"},
		{"duplicate key", `{"accounts":[{"id":"123456789012","users":[{"name":"a","accessKeys":[{"id":"AK","secret":"s"}]},{"name":"b","accessKeys":[{"id":"AK","secret":"t"}]}]}]}`, "already used"},
		{"bad role", `{"accounts":[{"id":"123456789012","roles":[{"name":"r/x"}]}]}`, `roles[0] "r/x"`},
		{"duplicate role", `{"accounts":[{"id":"123456789012","roles":[{"name":"r"},{"name":"R"}]}]}`, "case-insensitive"},
		{"duration low", `{"accounts":[{"id":"123456789012","roles":[{"name":"r","maxSessionDuration":900}]}]}`, "maxSessionDuration 900"},
		{"duration high", `{"accounts":[{"id":"123456789012","roles":[{"name":"r","maxSessionDuration":43201}]}]}`, "maxSessionDuration 43201"},
		{"bad principal", `{"accounts":[{"id":"123456789012","roles":[{"name":"r","trust":[{"principal":"acs:ram::123456789012:group/g"}]}]}]}`, `trust[0] "acs:ram::123456789012:group/g"`},
		{"bad external id", `{"accounts":[{"id":"123456789012","roles":[{"name":"r","trust":[{"principal":"acs:ram::123456789012:root","externalId":"x"}]}]}]}`, "externalId"},
		{"missing user principal", `{"accounts":[{"id":"123456789012","roles":[{"name":"r","trust":[{"principal":"acs:ram::123456789012:user/ghost"}]}]}]}`, "user/ghost does not exist"},
		{"missing role principal", `{"accounts":[{"id":"123456789012","roles":[{"name":"r","trust":[{"principal":"acs:ram::123456789012:role/ghost"}]}]}]}`, "role/ghost does not exist"},
		{"duplicate role id", `{"accounts":[{"id":"123456789012","roles":[{"name":"a","roleId":"1"},{"name":"b","roleId":"1"}]}]}`, "roleId 1 already used"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseWorld([]byte(tc.json))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestLoadWorld(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "w.json")
	if err := os.WriteFile(p, []byte(`{"accounts":[{"id":"123456789012"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadWorld(p); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadWorld(filepath.Join(dir, "missing.json")); err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Fatalf("error %v", err)
	}
}

func TestNewRejectsInvalidWorldAndCopiesIt(t *testing.T) {
	if _, err := New(&World{}, Options{}); err == nil {
		t.Fatal("empty world accepted")
	}
	w := DemoWorld()
	srv, err := New(w, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.Accounts[0].Roles[0].Trust[0].Principal = RootARN("999999999999")
	if got := srv.World().Accounts[0].Roles[0].Trust[0].Principal; got != DemoUserARN {
		t.Fatalf("server shares the caller's world: %s", got)
	}
}

func TestDerivedIDsStable(t *testing.T) {
	a, b := derivedID("role", DemoAccountID, "demo-admin"), derivedID("role", DemoAccountID, "DEMO-ADMIN")
	if a != b || len(a) != 16 || !isDigits(a) {
		t.Fatalf("ids %s %s", a, b)
	}
	if a == derivedID("role", DemoAccountID, "demo-prod") || a == derivedID("user", DemoAccountID, "demo-admin") {
		t.Fatal("derived ids collide")
	}
}

// TestExampleWorld keeps the documented example file valid and shows its
// features working end to end.
func TestExampleWorld(t *testing.T) {
	w, err := LoadWorld(filepath.Join("testdata", "example-world.json"))
	if err != nil {
		t.Fatal(err)
	}
	clock := &testClock{}
	srv, err := New(w, Options{Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	if err := srv.StartHTTP("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	h := &harness{srv: srv, clock: clock, log: &lockedBuffer{}}
	alice := testCreds{id: "LTAI5tExampleAlice01", secret: "example-alice-secret"}
	ops := h.assume(t, alice, "acs:ram::111111111111:role/ops", "a1", map[string]string{"DurationSeconds": "43200"})
	h.assume(t, ops, "acs:ram::2222222222222222:role/partner", "a2", map[string]string{"ExternalId": "partner-ext-42"})
	wantError(t, h.do(t, rpcRequest{action: "GetCallerIdentity", creds: testCreds{id: "LTAI5tExampleAlice02", secret: "example-alice-old"}}), 400, "InvalidAccessKeyId.Inactive")
	wantError(t, h.do(t, rpcRequest{action: "AssumeRole", creds: testCreds{id: "LTAI5tExampleAuditor", secret: "example-auditor-secret"},
		params: map[string]string{"RoleArn": "acs:ram::111111111111:role/any-in-account", "RoleSessionName": "a3"}}), 403, "NoPermission")
}
