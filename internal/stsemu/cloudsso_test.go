package stsemu

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/credentials-go/credentials/providers"
)

const (
	ssoAcct2 = "333333333333"
	ssoRole  = "AliyunReservedSSO-Admin"
)

func ssoWorld() *World {
	w := testWorld()
	w.Accounts[0].Roles = append(w.Accounts[0].Roles, Role{Name: ssoRole})
	w.Accounts = append(w.Accounts, Account{ID: ssoAcct2, Roles: []Role{{Name: ssoRole}, {Name: "AliyunReservedSSO-Read"}}})
	w.CloudSSO = &CloudSSO{Assignments: []SSOAssignment{
		{AccountID: DemoAccountID, AccountName: "demo", AccessConfigurationID: "ac-admin01", AccessConfigurationName: "Admin", RoleName: ssoRole},
		{AccountID: ssoAcct2, AccessConfigurationID: "ac-admin01", AccessConfigurationName: "Admin", RoleName: ssoRole},
		{AccountID: ssoAcct2, AccessConfigurationID: "ac-read02", AccessConfigurationName: "Read", RoleName: "AliyunReservedSSO-Read"},
	}}
	return w
}

func newSSOHarness(t *testing.T, o SSOOptions) *harness {
	t.Helper()
	return startHarness(t, ssoWorld(), Options{SSO: o})
}

type ssoAnswer struct {
	status int
	body   map[string]any
	raw    []byte
}

func (a ssoAnswer) str(k string) string { s, _ := a.body[k].(string); return s }

func (h *harness) ssoCall(t *testing.T, method, path, bearer string, body any) ssoAnswer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, "https://"+h.srv.Endpoint()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := ssoAnswer{status: resp.StatusCode, raw: raw}
	_ = json.Unmarshal(raw, &a.body)
	return a
}

func challengeOf(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

const testVerifier = "verifier-0123456789-0123456789-0123456789-0123456789"

func (h *harness) ssoDevice(t *testing.T) ssoAnswer {
	t.Helper()
	a := h.ssoCall(t, "POST", "/device-authorization", "", map[string]string{
		"PortalUrl": "https://" + h.srv.Endpoint() + "/start/login", "CodeChallenge": challengeOf(testVerifier),
		"ClientId": "app-vaz16tltdxs96audqf35", "CodeChallengeMethod": "S256",
	})
	if a.status != 200 {
		t.Fatalf("device authorization: %d %s", a.status, a.raw)
	}
	return a
}

func (h *harness) ssoPoll(t *testing.T, deviceCode, verifier string) ssoAnswer {
	t.Helper()
	return h.ssoCall(t, "POST", "/token", "", map[string]string{
		"CodeVerifier": verifier, "ClientId": "app-vaz16tltdxs96audqf35", "DeviceCode": deviceCode,
		"GrantType": "urn:ietf:params:oauth:grant-type:device_code",
	})
}

func wantSSOCode(t *testing.T, a ssoAnswer, status int, code string) {
	t.Helper()
	if a.status != status || a.str("ErrorCode") != code || a.str("RequestId") == "" {
		t.Fatalf("want %d %s, got %d %s", status, code, a.status, a.raw)
	}
}

func TestCloudSSODeviceFlowToCallerIdentity(t *testing.T) {
	h := newSSOHarness(t, SSOOptions{Interval: time.Second})
	dev := h.ssoDevice(t)
	uc := dev.str("UserCode")
	if dev.body["Interval"] != float64(1) || uc == "" ||
		dev.str("VerificationUri") != "https://"+h.srv.Endpoint()+"/device" ||
		dev.str("VerificationUriComplete") != "https://"+h.srv.Endpoint()+"/device?user_code="+url.QueryEscape(uc) {
		t.Fatalf("device authorization answer: %s", dev.raw)
	}
	if got := h.srv.PendingSSOUserCodes(); len(got) != 1 || got[0] != uc {
		t.Fatalf("pending: %v", got)
	}
	wantSSOCode(t, h.ssoPoll(t, dev.str("DeviceCode"), testVerifier), 400, "AuthorizationPending")

	// The approval endpoint plays the user.
	resp, err := http.PostForm("https://"+h.srv.Endpoint()+SSOApprovePath, url.Values{"user_code": {uc}})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("approve: %v %v", err, resp)
	}
	resp.Body.Close()
	wantSSOCode(t, h.ssoPoll(t, dev.str("DeviceCode"), "wrong-verifier-wrong-verifier-wrong-verifier-00"), 400, "InvalidCodeVerifier")
	tok := h.ssoPoll(t, dev.str("DeviceCode"), testVerifier)
	at := tok.str("AccessToken")
	if tok.status != 200 || at == "" || tok.body["ExpiresIn"] != float64(DefaultSSOAccessTokenTTL/time.Second) {
		t.Fatalf("token: %d %s", tok.status, tok.raw)
	}
	// Device codes are single use.
	wantSSOCode(t, h.ssoPoll(t, dev.str("DeviceCode"), testVerifier), 400, "InvalidDeviceCodeError")

	// STS credentials through credentials-go's own CloudSSO provider.
	prov, err := providers.NewCloudSSOCredentialsProviderBuilder().
		WithSignInUrl("https://" + h.srv.Endpoint() + "/start/login").WithAccountId(ssoAcct2).
		WithAccessConfig("ac-read02").WithAccessToken(at).WithAccessTokenExpire(time.Now().Add(time.Hour).Unix()).Build()
	if err != nil {
		t.Fatal(err)
	}
	c, err := prov.GetCredentials()
	if err != nil {
		t.Fatal(err)
	}
	res := h.do(t, rpcRequest{action: "GetCallerIdentity", creds: testCreds{id: c.AccessKeyId, secret: c.AccessKeySecret, token: c.SecurityToken}})
	if res.status != 200 || !strings.Contains(string(res.body), "assumed-role/AliyunReservedSSO-Read/sso-user@example.com") {
		t.Fatalf("caller identity: %d %s", res.status, res.body)
	}
	if strings.Contains(h.log.String(), at) || strings.Contains(h.log.String(), c.SecurityToken) {
		t.Fatal("emulator log holds a token")
	}

	// Not assigned → 403 AccessDenied; a revoked token → 401 InvalidToken.
	wantSSOCode(t, h.ssoCall(t, "POST", "/cloud-credentials", at, map[string]string{"AccountId": DemoAccountID, "AccessConfigurationId": "ac-read02"}), 403, "AccessDenied")
	if n := h.srv.RevokeSSOTokens(); n != 1 {
		t.Fatalf("revoked %d", n)
	}
	wantSSOCode(t, h.ssoCall(t, "POST", "/cloud-credentials", at, map[string]string{"AccountId": ssoAcct2, "AccessConfigurationId": "ac-read02"}), 401, "InvalidToken")
	wantSSOCode(t, h.ssoCall(t, "GET", "/access-assignments/accounts", "", nil), 401, "InvalidToken")
	if n := h.srv.Count(ActionSSOCloudCredentials, ""); n != 1 {
		t.Fatalf("%d successful cloud-credentials calls", n)
	}
}

func TestCloudSSOExpiryAndSlowDown(t *testing.T) {
	h := newSSOHarness(t, SSOOptions{Interval: 2 * time.Second, EnforceInterval: true, DeviceCodeTTL: time.Minute, AccessTokenTTL: time.Hour})
	dev := h.ssoDevice(t)
	dc := dev.str("DeviceCode")
	wantSSOCode(t, h.ssoPoll(t, dc, testVerifier), 400, "AuthorizationPending")
	wantSSOCode(t, h.ssoPoll(t, dc, testVerifier), 400, "SlowDown")
	// The interval is now 7 s: 3 s later is still too soon.
	h.clock.Advance(3 * time.Second)
	wantSSOCode(t, h.ssoPoll(t, dc, testVerifier), 400, "SlowDown")
	h.clock.Advance(12 * time.Second)
	wantSSOCode(t, h.ssoPoll(t, dc, testVerifier), 400, "AuthorizationPending")
	h.clock.Advance(time.Minute)
	wantSSOCode(t, h.ssoPoll(t, dc, testVerifier), 400, "InvalidDeviceCodeError")
	if err := h.srv.ApproveSSO(dev.str("UserCode")); err == nil {
		t.Fatal("approved an expired request")
	}

	// Access tokens expire.
	dev = h.ssoDevice(t)
	if err := h.srv.ApproveSSO(dev.str("UserCode")); err != nil {
		t.Fatal(err)
	}
	at := h.ssoPoll(t, dev.str("DeviceCode"), testVerifier).str("AccessToken")
	if a := h.ssoCall(t, "GET", "/access-assignments/accounts", at, nil); a.status != 200 {
		t.Fatalf("accounts: %d %s", a.status, a.raw)
	}
	h.clock.Advance(time.Hour)
	wantSSOCode(t, h.ssoCall(t, "GET", "/access-assignments/accounts", at, nil), 401, "InvalidToken")
}

func TestCloudSSOPaging(t *testing.T) {
	h := newSSOHarness(t, SSOOptions{PageSize: 1})
	dev := h.ssoDevice(t)
	_ = h.srv.ApproveSSO(dev.str("UserCode"))
	at := h.ssoPoll(t, dev.str("DeviceCode"), testVerifier).str("AccessToken")
	var accounts []string
	next := ""
	for i := 0; i < 5; i++ {
		a := h.ssoCall(t, "GET", "/access-assignments/accounts?NextToken="+next+"&MaxResults=100", at, nil)
		for _, x := range a.body["Accounts"].([]any) {
			accounts = append(accounts, x.(map[string]any)["AccountId"].(string)+"="+x.(map[string]any)["DisplayName"].(string))
		}
		if a.body["IsTruncated"] != true {
			break
		}
		next = a.str("NextToken")
	}
	if strings.Join(accounts, ",") != DemoAccountID+"=demo,"+ssoAcct2+"=account-"+ssoAcct2 {
		t.Fatalf("accounts: %v", accounts)
	}
	a := h.ssoCall(t, "GET", "/access-assignments/access-configurations?AccountId="+ssoAcct2, at, nil)
	list := a.body["AccessConfigurationsForAccount"].([]any)
	if len(list) != 1 || a.body["IsTruncated"] != true || list[0].(map[string]any)["AccessConfigurationName"] != "Admin" {
		t.Fatalf("configs page 1: %s", a.raw)
	}
	a = h.ssoCall(t, "GET", "/access-assignments/access-configurations?AccountId="+ssoAcct2+"&NextToken="+a.str("NextToken"), at, nil)
	list = a.body["AccessConfigurationsForAccount"].([]any)
	if len(list) != 1 || a.body["IsTruncated"] != false || list[0].(map[string]any)["AccessConfigurationId"] != "ac-read02" {
		t.Fatalf("configs page 2: %s", a.raw)
	}
}

func TestCloudSSOWorldValidation(t *testing.T) {
	w := ssoWorld()
	w.CloudSSO.Assignments[0].RoleName = "missing"
	if _, err := New(w, Options{}); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("err = %v", err)
	}
	w = ssoWorld()
	w.CloudSSO.Assignments[0].AccessConfigurationID = "Admin"
	if _, err := New(w, Options{}); err == nil || !strings.Contains(err.Error(), "ac-") {
		t.Fatalf("err = %v", err)
	}
}
