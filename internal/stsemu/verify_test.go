package stsemu

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCommonParameterAndAuthErrors(t *testing.T) {
	h := newHarness(t)
	gci := func(r rpcRequest) rpcRequest {
		if r.action == "" {
			r.action = "GetCallerIdentity"
		}
		if r.creds.id == "" {
			r.creds = demoCreds
		}
		return r
	}
	drop := func(name string) func(map[string]string) {
		return func(p map[string]string) { delete(p, name) }
	}
	set := func(name, value string) func(map[string]string) {
		return func(p map[string]string) { p[name] = value }
	}
	tests := []struct {
		name   string
		req    rpcRequest
		status int
		code   string
	}{
		{"missing action", rpcRequest{action: "", creds: demoCreds, beforeSign: drop("Action")}, 400, "MissingAction"},
		{"unknown action", gci(rpcRequest{action: "AssumeRoleWithSAML"}), 404, "InvalidAction.NotFound"},
		{"missing version", gci(rpcRequest{beforeSign: drop("Version")}), 400, "MissingVersion"},
		{"wrong version", gci(rpcRequest{beforeSign: set("Version", "2019-01-01")}), 400, "InvalidVersion"},
		{"missing format", gci(rpcRequest{beforeSign: drop("Format")}), 400, "MissingFormat"},
		{"xml format", gci(rpcRequest{beforeSign: set("Format", "XML")}), 400, "InvalidParameter.Format"},
		{"missing access key id", gci(rpcRequest{beforeSign: drop("AccessKeyId")}), 400, "MissingAccessKeyId"},
		{"missing signature method", gci(rpcRequest{beforeSign: drop("SignatureMethod")}), 400, "MissingSignatureMethod"},
		{"sha256 signature method", gci(rpcRequest{beforeSign: set("SignatureMethod", "HMAC-SHA256")}), 400, "InvalidSignatureMethod"},
		{"missing signature version", gci(rpcRequest{beforeSign: drop("SignatureVersion")}), 400, "MissingSignatureVersion"},
		{"wrong signature version", gci(rpcRequest{beforeSign: set("SignatureVersion", "2.0")}), 400, "InvalidSignatureVersion"},
		{"missing timestamp", gci(rpcRequest{beforeSign: drop("Timestamp")}), 400, "MissingTimestamp"},
		{"missing nonce", gci(rpcRequest{beforeSign: drop("SignatureNonce")}), 400, "MissingSignatureNonce"},
		{"missing signature", gci(rpcRequest{beforeSign: set("Signature", "")}), 400, "MissingSignature"},
		{"unknown key", gci(rpcRequest{creds: testCreds{id: "LTAI5tNoSuchKey", secret: "x"}}), 404, "InvalidAccessKeyId.NotFound"},
		{"unknown sts key", gci(rpcRequest{creds: testCreds{id: "STS.NoSuchKey", secret: "x", token: "CAISxx"}}), 404, "InvalidAccessKeyId.NotFound"},
		{"timestamp format", gci(rpcRequest{beforeSign: set("Timestamp", "2026-01-01 00:00:00")}), 400, "InvalidTimeStamp.Format"},
		{"timestamp 16 min old", gci(rpcRequest{timestamp: h.clock.Now().Add(-16 * time.Minute)}), 400, "InvalidTimeStamp.Expired"},
		{"timestamp 16 min ahead", gci(rpcRequest{timestamp: h.clock.Now().Add(16 * time.Minute)}), 400, "InvalidTimeStamp.Expired"},
		{"wrong secret", gci(rpcRequest{creds: testCreds{id: DemoAccessKeyID, secret: "wrong"}}), 400, "SignatureDoesNotMatch"},
		{"tampered param", gci(rpcRequest{afterSign: func(q, _ map[string]string) { q["Format"] = "json" }}), 400, "SignatureDoesNotMatch"},
		{"empty param dropped after signing", gci(rpcRequest{
			beforeSign: set("SignatureType", ""),
			afterSign:  func(q, _ map[string]string) { delete(q, "SignatureType") },
		}), 400, "SignatureDoesNotMatch"},
		{"token with long-term key", gci(rpcRequest{creds: testCreds{id: DemoAccessKeyID, secret: DemoAccessKeySecret, token: "CAISabc"}}), 400, "InvalidSecurityToken.MismatchWithAccessKey"},
		{"put verb", gci(rpcRequest{method: http.MethodPut}), 400, "UnsupportedHTTPMethod"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, h.do(t, tc.req), tc.status, tc.code)
		})
	}
}

func TestAcceptsWithinSkewAndEmptyValues(t *testing.T) {
	h := newHarness(t)
	for _, r := range []rpcRequest{
		{timestamp: h.clock.Now().Add(-14 * time.Minute)},
		{timestamp: h.clock.Now().Add(14 * time.Minute)},
		// The aliyun CLI's SDK signs SignatureType= (empty) and RegionId.
		{beforeSign: func(p map[string]string) { p["SignatureType"] = ""; p["RegionId"] = "cn-hangzhou" }},
		{method: http.MethodGet},
		// Characters that url.QueryEscape and RFC 3986 encode differently.
		{beforeSign: func(p map[string]string) { p["Extra"] = "a b*c~d+e/é" }},
	} {
		r.action, r.creds = "GetCallerIdentity", demoCreds
		if res := h.do(t, r); res.status != http.StatusOK {
			t.Fatalf("%+v: %d %s", r, res.status, res.body)
		}
	}
}

func TestSignatureMismatchShowsStringToSign(t *testing.T) {
	h := newHarness(t)
	res := h.do(t, rpcRequest{action: "GetCallerIdentity", creds: testCreds{id: DemoAccessKeyID, secret: "wrong"}})
	wantError(t, res, 400, "SignatureDoesNotMatch")
	if !strings.Contains(res.err.Message, "server string to sign is:POST&%2F&AccessKeyId%3D"+DemoAccessKeyID+"%26Action%3DGetCallerIdentity%26Format%3DJSON") {
		t.Fatalf("message lacks the string to sign: %s", res.err.Message)
	}
	// With STS credentials the token must not be echoed.
	sts := h.assume(t, demoCreds, DemoAdminRoleARN, "s1", nil)
	res = h.do(t, rpcRequest{action: "GetCallerIdentity", creds: testCreds{id: sts.id, secret: "wrong", token: sts.token}})
	wantError(t, res, 400, "SignatureDoesNotMatch")
	if strings.Contains(string(res.body), percentEncode(percentEncode(sts.token))) || strings.Contains(string(res.body), sts.token) {
		t.Fatal("security token echoed in error body")
	}
	if !strings.Contains(res.err.Message, "SecurityToken%3DREDACTED") {
		t.Fatalf("redaction marker missing: %s", res.err.Message)
	}
}

func TestErrorBodyShape(t *testing.T) {
	h := newHarness(t)
	res := h.do(t, rpcRequest{action: "GetCallerIdentity", creds: testCreds{id: "LTAI5tNoSuchKey", secret: "x"}})
	var m map[string]any
	if err := json.Unmarshal(res.body, &m); err != nil {
		t.Fatal(err)
	}
	want := []string{"RequestId", "HostId", "Code", "Message", "Recommend"}
	if len(m) != len(want) {
		t.Fatalf("keys %v, want %v", m, want)
	}
	for _, k := range want {
		if s, ok := m[k].(string); !ok || s == "" {
			t.Fatalf("%s = %#v, want non-empty string", k, m[k])
		}
	}
	if m["HostId"] != "sts.aliyuncs.com" || !strings.Contains(m["Recommend"].(string), "InvalidAccessKeyId.NotFound") {
		t.Fatalf("body %s", res.body)
	}
}

func TestNonceReuse(t *testing.T) {
	h := newHarness(t)
	nonce := randomNonce(t)
	r := rpcRequest{action: "GetCallerIdentity", creds: demoCreds, nonce: nonce}
	// A request failing its signature must not burn the nonce.
	bad := r
	bad.creds.secret = "wrong"
	wantError(t, h.do(t, bad), 400, "SignatureDoesNotMatch")
	if res := h.do(t, r); res.status != 200 {
		t.Fatalf("first use: %d %s", res.status, res.body)
	}
	wantError(t, h.do(t, r), 400, "SignatureNonceUsed")
	// Nonces are per AccessKey: another key may use the same value.
	other := rpcRequest{action: "GetCallerIdentity", creds: testCreds{id: otherUserAK, secret: otherUserSK}, nonce: nonce}
	if res := h.do(t, other); res.status != 200 {
		t.Fatalf("other key: %d %s", res.status, res.body)
	}
	// After 15 minutes the nonce is forgotten (and a fresh timestamp passes).
	h.clock.Advance(16 * time.Minute)
	if res := h.do(t, r); res.status != 200 {
		t.Fatalf("after window: %d %s", res.status, res.body)
	}
}

func TestAccessKeyStatus(t *testing.T) {
	h := newHarness(t)
	r := rpcRequest{action: "GetCallerIdentity", creds: demoCreds}
	if err := h.srv.SetAccessKeyStatus(DemoAccessKeyID, false); err != nil {
		t.Fatal(err)
	}
	wantError(t, h.do(t, r), 400, "InvalidAccessKeyId.Inactive")
	if err := h.srv.SetAccessKeyStatus(DemoAccessKeyID, true); err != nil {
		t.Fatal(err)
	}
	if res := h.do(t, r); res.status != 200 {
		t.Fatalf("reactivated: %d %s", res.status, res.body)
	}
	if err := h.srv.SetAccessKeyStatus("LTAI5tNoSuchKey", true); err == nil {
		t.Fatal("unknown key accepted")
	}
}

func TestSecurityTokenChecks(t *testing.T) {
	h := newHarness(t)
	a := h.assume(t, demoCreds, DemoAdminRoleARN, "sess-a", nil)
	b := h.assume(t, demoCreds, DemoAdminRoleARN, "sess-b", nil)
	gci := func(c testCreds) rpcResult {
		return h.do(t, rpcRequest{action: "GetCallerIdentity", creds: c})
	}
	if res := gci(a); res.status != 200 {
		t.Fatalf("valid session: %d %s", res.status, res.body)
	}
	wantError(t, gci(testCreds{id: a.id, secret: a.secret}), 400, "MissingSecurityToken")
	wantError(t, gci(testCreds{id: a.id, secret: a.secret, token: "CAIS" + strings.Repeat("x", 100)}), 400, "InvalidSecurityToken.Malformed")
	wantError(t, gci(testCreds{id: a.id, secret: a.secret, token: b.token}), 400, "InvalidSecurityToken.MismatchWithAccessKey")
	wantError(t, gci(testCreds{id: a.id, secret: b.secret, token: a.token}), 400, "SignatureDoesNotMatch")

	// Sessions last DurationSeconds (default 3600) on the server's clock.
	h.clock.Advance(3598 * time.Second)
	if res := gci(a); res.status != 200 {
		t.Fatalf("just before expiry: %d %s", res.status, res.body)
	}
	h.clock.Advance(3 * time.Second)
	wantError(t, gci(a), 400, "InvalidSecurityToken.Expired")
}
