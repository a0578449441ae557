package stsemu

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAssumeRoleValidation(t *testing.T) {
	h := newHarness(t)
	admin := h.assume(t, demoCreds, DemoAdminRoleARN, "hop1", nil)
	prod := h.assume(t, admin, DemoProdRoleARN, "hop2", nil)
	okPolicy := `{"Version":"1","Statement":[{"Effect":"Allow","Action":["ecs:Describe*"],"Resource":["*"]}]}`
	tests := []struct {
		name   string
		creds  testCreds
		params map[string]string
		status int
		code   string
	}{
		{"missing role arn", demoCreds, map[string]string{"RoleSessionName": "s1"}, 400, "MissingRoleArn"},
		{"malformed role arn", demoCreds, map[string]string{"RoleArn": "acs:ram::123:role/x", "RoleSessionName": "s1"}, 400, "InvalidParameter.RoleArn"},
		{"user arn as role arn", demoCreds, map[string]string{"RoleArn": DemoUserARN, "RoleSessionName": "s1"}, 400, "InvalidParameter.RoleArn"},
		{"role not found", demoCreds, map[string]string{"RoleArn": RoleARN(DemoAccountID, "nope"), "RoleSessionName": "s1"}, 404, "EntityNotExist.Role"},
		{"account not found", demoCreds, map[string]string{"RoleArn": RoleARN("999999999999", "demo-admin"), "RoleSessionName": "s1"}, 404, "EntityNotExist.Role"},
		{"missing session name", demoCreds, map[string]string{"RoleArn": DemoAdminRoleARN}, 400, "MissingRoleSessionName"},
		{"session name too short", demoCreds, map[string]string{"RoleArn": DemoAdminRoleARN, "RoleSessionName": "a"}, 400, "InvalidParameter.RoleSessionName"},
		{"session name too long", demoCreds, map[string]string{"RoleArn": DemoAdminRoleARN, "RoleSessionName": strings.Repeat("a", 65)}, 400, "InvalidParameter.RoleSessionName"},
		{"session name with space", demoCreds, map[string]string{"RoleArn": DemoAdminRoleARN, "RoleSessionName": "a b"}, 400, "InvalidParameter.RoleSessionName"},
		{"session name with slash", demoCreds, map[string]string{"RoleArn": DemoAdminRoleARN, "RoleSessionName": "a/b"}, 400, "InvalidParameter.RoleSessionName"},
		{"duration below 900", demoCreds, map[string]string{"RoleArn": DemoAdminRoleARN, "RoleSessionName": "s1", "DurationSeconds": "899"}, 400, "InvalidParameter.DurationSeconds"},
		{"duration above role max", demoCreds, map[string]string{"RoleArn": DemoAdminRoleARN, "RoleSessionName": "s1", "DurationSeconds": "3601"}, 400, "InvalidParameter.DurationSeconds"},
		{"duration above 43200", demoCreds, map[string]string{"RoleArn": longRoleARN, "RoleSessionName": "s1", "DurationSeconds": "43201"}, 400, "InvalidParameter.DurationSeconds"},
		{"duration not integer", demoCreds, map[string]string{"RoleArn": DemoAdminRoleARN, "RoleSessionName": "s1", "DurationSeconds": "1e3"}, 400, "InvalidParameter.DurationSeconds"},
		{"duration empty", demoCreds, map[string]string{"RoleArn": DemoAdminRoleARN, "RoleSessionName": "s1", "DurationSeconds": ""}, 400, "InvalidParameter.DurationSeconds"},
		{"policy too large", demoCreds, map[string]string{"RoleArn": DemoAdminRoleARN, "RoleSessionName": "s1", "Policy": `{"Version":"1","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Sid":"` + strings.Repeat("x", 2048) + `"}]}`}, 400, "InvalidParameter.PolicySize"},
		{"policy not json", demoCreds, map[string]string{"RoleArn": DemoAdminRoleARN, "RoleSessionName": "s1", "Policy": "{Version: 1"}, 400, "InvalidParameter.PolicyGrammar"},
		{"policy without version", demoCreds, map[string]string{"RoleArn": DemoAdminRoleARN, "RoleSessionName": "s1", "Policy": `{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`}, 400, "InvalidParameter.PolicyGrammar"},
		{"policy without statement", demoCreds, map[string]string{"RoleArn": DemoAdminRoleARN, "RoleSessionName": "s1", "Policy": `{"Version":"1"}`}, 400, "InvalidParameter.PolicyGrammar"},
		{"policy bad effect", demoCreds, map[string]string{"RoleArn": DemoAdminRoleARN, "RoleSessionName": "s1", "Policy": `{"Version":"1","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`}, 400, "InvalidParameter.PolicyGrammar"},
		{"external id too short", demoCreds, map[string]string{"RoleArn": DemoAdminRoleARN, "RoleSessionName": "s1", "ExternalId": "x"}, 400, "InvalidParameter.ExternalId"},
		{"external id bad char", demoCreds, map[string]string{"RoleArn": DemoAdminRoleARN, "RoleSessionName": "s1", "ExternalId": "a b"}, 400, "InvalidParameter.ExternalId"},
		{"user not trusted", demoCreds, map[string]string{"RoleArn": DemoProdRoleARN, "RoleSessionName": "s1"}, 403, "NoPermission"},
		{"user without sts access", testCreds{id: noSTSUserAK, secret: noSTSUserSK}, map[string]string{"RoleArn": longRoleARN, "RoleSessionName": "s1"}, 403, "NoPermission"},
		{"audit without external id", prod, map[string]string{"RoleArn": DemoAuditRoleARN, "RoleSessionName": "s1"}, 403, "NoPermission"},
		{"audit with wrong external id", prod, map[string]string{"RoleArn": DemoAuditRoleARN, "RoleSessionName": "s1", "ExternalId": "other-id"}, 403, "NoPermission"},
		{"audit skipping a hop", admin, map[string]string{"RoleArn": DemoAuditRoleARN, "RoleSessionName": "s1", "ExternalId": DemoExternalID}, 403, "NoPermission"},
		{"audit from user", demoCreds, map[string]string{"RoleArn": DemoAuditRoleARN, "RoleSessionName": "s1", "ExternalId": DemoExternalID}, 403, "NoPermission"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, h.do(t, rpcRequest{action: "AssumeRole", creds: tc.creds, params: tc.params}), tc.status, tc.code)
		})
	}
	// The boundaries themselves are accepted.
	for _, params := range []map[string]string{
		{"RoleArn": DemoAdminRoleARN, "RoleSessionName": "ab", "DurationSeconds": "900"},
		{"RoleArn": DemoAdminRoleARN, "RoleSessionName": strings.Repeat("a", 64), "DurationSeconds": "3600"},
		{"RoleArn": longRoleARN, "RoleSessionName": "x.y@z-w_1", "DurationSeconds": "43200"},
		{"RoleArn": DemoAdminRoleARN, "RoleSessionName": "s1", "Policy": okPolicy},
		{"RoleArn": DemoAdminRoleARN, "RoleSessionName": "s1", "ExternalId": "ok+=,.@:/-_id"},
	} {
		if res := h.do(t, rpcRequest{action: "AssumeRole", creds: demoCreds, params: params}); res.status != 200 {
			t.Fatalf("%v: %d %s", params, res.status, res.body)
		}
	}
}

func TestNoPermissionMessages(t *testing.T) {
	h := newHarness(t)
	res := h.do(t, rpcRequest{action: "AssumeRole", creds: demoCreds, params: map[string]string{"RoleArn": DemoProdRoleARN, "RoleSessionName": "s1"}})
	wantError(t, res, 403, "NoPermission")
	if !strings.Contains(res.err.Message, "not authorized") || !strings.Contains(res.err.Message, DemoProdRoleARN) {
		t.Fatalf("message: %s", res.err.Message)
	}
}

func TestAssumeRoleSuccessShape(t *testing.T) {
	h := newHarness(t)
	before := h.clock.Now()
	res := h.do(t, rpcRequest{action: "AssumeRole", creds: demoCreds, params: map[string]string{
		// Role names match case-insensitively; responses use the canonical name.
		"RoleArn": "acs:ram::" + DemoAccountID + ":role/DEMO-Admin", "RoleSessionName": "alice", "DurationSeconds": "1800",
	}})
	if res.status != 200 {
		t.Fatalf("%d %s", res.status, res.body)
	}
	var raw map[string]map[string]any
	var top map[string]json.RawMessage
	if err := json.Unmarshal(res.body, &top); err != nil {
		t.Fatal(err)
	}
	if len(top) != 3 || top["RequestId"] == nil {
		t.Fatalf("top-level keys: %s", res.body)
	}
	delete(top, "RequestId")
	b, _ := json.Marshal(top)
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	roleID := derivedID("role", DemoAccountID, "demo-admin")
	aru := raw["AssumedRoleUser"]
	if len(aru) != 2 || aru["Arn"] != DemoAdminRoleARN+"/alice" || aru["AssumedRoleId"] != roleID+":alice" {
		t.Fatalf("AssumedRoleUser = %v", aru)
	}
	c := raw["Credentials"]
	if len(c) != 4 {
		t.Fatalf("Credentials keys: %v", c)
	}
	id, _ := c["AccessKeyId"].(string)
	secret, _ := c["AccessKeySecret"].(string)
	token, _ := c["SecurityToken"].(string)
	if !strings.HasPrefix(id, "STS.") || len(secret) < 30 || len(token) < 500 {
		t.Fatalf("credentials look wrong: id %q secret len %d token len %d", id, len(secret), len(token))
	}
	exp, err := time.Parse("2006-01-02T15:04:05Z", c["Expiration"].(string))
	if err != nil {
		t.Fatal(err)
	}
	if d := exp.Sub(before); d < 1799*time.Second || d > 1801*time.Second {
		t.Fatalf("expiration %s is %s after request, want 1800s", exp, d)
	}
	// Distinct calls issue distinct credentials.
	again := h.assume(t, demoCreds, DemoAdminRoleARN, "alice", nil)
	if again.id == id || again.token == token || again.secret == secret {
		t.Fatal("credentials reused across calls")
	}
}

func TestGetCallerIdentityShapes(t *testing.T) {
	h := newHarness(t)
	res := h.do(t, rpcRequest{action: "GetCallerIdentity", creds: demoCreds})
	var user map[string]string
	if err := json.Unmarshal(res.body, &user); err != nil {
		t.Fatal(err)
	}
	uid := derivedID("user", DemoAccountID, DemoUserName)
	wantUser := map[string]string{"AccountId": DemoAccountID, "Arn": DemoUserARN, "IdentityType": "RAMUser", "PrincipalId": uid, "UserId": uid, "RequestId": user["RequestId"]}
	assertMap(t, user, wantUser)

	sts := h.assume(t, demoCreds, DemoAdminRoleARN, "bob@example.com", nil)
	res = h.do(t, rpcRequest{action: "GetCallerIdentity", creds: sts})
	var role map[string]string
	if err := json.Unmarshal(res.body, &role); err != nil {
		t.Fatal(err)
	}
	rid := derivedID("role", DemoAccountID, "demo-admin")
	wantRole := map[string]string{
		"AccountId": DemoAccountID, "Arn": "acs:ram::" + DemoAccountID + ":assumed-role/demo-admin/bob@example.com",
		"IdentityType": "AssumedRoleUser", "PrincipalId": rid + ":bob@example.com", "RoleId": rid, "RequestId": role["RequestId"],
	}
	assertMap(t, role, wantRole)
	if role["RequestId"] == "" || role["RequestId"] == user["RequestId"] {
		t.Fatal("request ids missing or repeated")
	}
}

func assertMap(t *testing.T, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}

func TestTrustKinds(t *testing.T) {
	h := newHarness(t)
	other := testCreds{id: otherUserAK, secret: otherUserSK}
	// Account-root trust covers every user of the account and its role sessions.
	h.assume(t, other, longRoleARN, "s1", nil)
	admin := h.assume(t, demoCreds, DemoAdminRoleARN, "s1", nil)
	h.assume(t, admin, longRoleARN, "s2", nil)
	// Cross-account root trust.
	h.assume(t, demoCreds, xacctRoleARN, "s3", nil)
	// Chaining requires the exact role, not merely the account.
	wantError(t, h.do(t, rpcRequest{action: "AssumeRole", creds: other, params: map[string]string{"RoleArn": DemoAdminRoleARN, "RoleSessionName": "s4"}}), 403, "NoPermission")

	// Runtime edits: cutting and restoring a link.
	if err := h.srv.RemoveTrust(DemoProdRoleARN, DemoAdminRoleARN); err != nil {
		t.Fatal(err)
	}
	wantError(t, h.do(t, rpcRequest{action: "AssumeRole", creds: admin, params: map[string]string{"RoleArn": DemoProdRoleARN, "RoleSessionName": "s5"}}), 403, "NoPermission")
	if err := h.srv.RemoveTrust(DemoProdRoleARN, DemoAdminRoleARN); err == nil {
		t.Fatal("removing an absent principal succeeded")
	}
	if err := h.srv.SetTrust(DemoProdRoleARN, []Trust{{Principal: "acs:ram::" + DemoAccountID + ":role/DEMO-ADMIN"}}); err != nil {
		t.Fatal(err)
	}
	h.assume(t, admin, DemoProdRoleARN, "s6", nil)
	if err := h.srv.SetTrust(DemoProdRoleARN, []Trust{{Principal: "bogus"}}); err == nil {
		t.Fatal("bad principal accepted")
	}
	if err := h.srv.SetTrust(RoleARN(DemoAccountID, "nope"), nil); err == nil {
		t.Fatal("unknown role accepted")
	}
}

func TestConcurrentAssumeRole(t *testing.T) {
	h := newHarness(t)
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := h.do(t, rpcRequest{action: "AssumeRole", creds: demoCreds, params: map[string]string{"RoleArn": DemoAdminRoleARN, "RoleSessionName": "par"}})
			if res.status != http.StatusOK {
				errs <- string(res.body)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if got := h.srv.Count("AssumeRole", DemoAdminRoleARN); got != n {
		t.Fatalf("Count = %d, want %d", got, n)
	}
}

func TestLogsHoldNoSecrets(t *testing.T) {
	h := newHarness(t)
	sts := h.assume(t, demoCreds, DemoAdminRoleARN, "s1", nil)
	h.do(t, rpcRequest{action: "GetCallerIdentity", creds: sts})
	h.do(t, rpcRequest{action: "GetCallerIdentity", creds: testCreds{id: sts.id, secret: "bad", token: sts.token}})
	logs := h.log.String()
	if !strings.Contains(logs, `action="AssumeRole"`) || !strings.Contains(logs, sts.id) {
		t.Fatalf("log lacks calls: %s", logs)
	}
	for _, secret := range []string{DemoAccessKeySecret, sts.secret, sts.token, "Signature="} {
		if strings.Contains(logs, secret) {
			t.Fatalf("log contains a secret (%.8s…)", secret)
		}
	}
	for _, c := range h.srv.Calls() {
		if strings.Contains(c.CallerARN+c.Code+c.Fault, sts.token) {
			t.Fatal("call log holds a token")
		}
	}
}
