package stsemu

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// fedResult is one answer of the federation endpoint.
type fedResult struct {
	status   int
	location string
	token    string
	err      errorBody
}

// federation calls /federation without following redirects: POST puts the
// parameters in a form body, GET in the query.
func (h *harness) federation(t *testing.T, method string, params url.Values) fedResult {
	t.Helper()
	u := "http://" + h.srv.HTTPEndpoint() + "/federation"
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(params.Encode())
	} else {
		u += "?" + params.Encode()
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	res := fedResult{status: resp.StatusCode, location: resp.Header.Get("Location")}
	switch resp.StatusCode {
	case http.StatusOK:
		var ok signinTokenResponse
		if err := json.Unmarshal(b, &ok); err != nil || ok.RequestID == "" {
			t.Fatalf("token body %q: %v", b, err)
		}
		res.token = ok.SigninToken
	case http.StatusFound:
	default:
		if err := json.Unmarshal(b, &res.err); err != nil {
			t.Fatalf("error body %q: %v", b, err)
		}
		if res.err.HostID != signinHost || res.err.Code != "" && res.err.RequestID == "" {
			t.Fatalf("error body %+v", res.err)
		}
	}
	return res
}

func tokenParams(c testCreds) url.Values {
	return url.Values{"Action": {"GetSigninToken"}, "AccessKeyId": {c.id}, "AccessKeySecret": {c.secret},
		"SecurityToken": {c.token}, "TicketType": {"mini"}}
}

func loginParams(token, destination string) url.Values {
	return url.Values{"Action": {"Login"}, "LoginUrl": {"https://login.example.com/"},
		"Destination": {destination}, "SigninToken": {token}}
}

func wantFedError(t *testing.T, res fedResult, status int, code string) {
	t.Helper()
	if res.status != status || res.err.Code != code {
		t.Fatalf("got %d %q, want %d %q", res.status, res.err.Code, status, code)
	}
}

func TestSigninTokenAndLogin(t *testing.T) {
	h := newHarness(t)
	role := h.assume(t, demoCreds, DemoAdminRoleARN, "console", nil)
	const dest = "https://ecs.console.aliyun.com/#/server/region/cn-hangzhou"

	for _, method := range []string{http.MethodPost, http.MethodGet} {
		got := h.federation(t, method, tokenParams(role))
		if got.status != http.StatusOK || len(got.token) < 40 {
			t.Fatalf("%s GetSigninToken: %+v", method, got)
		}
		login := h.federation(t, http.MethodGet, loginParams(got.token, dest))
		if login.status != http.StatusFound || login.location != dest {
			t.Fatalf("%s Login: %+v", method, login)
		}
		// Single use.
		wantFedError(t, h.federation(t, http.MethodGet, loginParams(got.token, dest)), 401, "InvalidCredential.AuthenticateFail")
	}
	calls := h.srv.Calls()
	last := calls[len(calls)-2] // the last successful Login
	if last.Action != "Login" || !last.Success || last.CallerARN != "acs:ram::"+DemoAccountID+":assumed-role/demo-admin/console" {
		t.Fatalf("login call %+v", last)
	}
	if got := h.srv.Count("GetSigninToken", ""); got != 2 {
		t.Fatalf("GetSigninToken count %d", got)
	}
	// Neither secrets nor sign-in tokens reach the log.
	logText := h.log.String()
	for _, secret := range []string{role.secret, role.token, url.QueryEscape(role.token)} {
		if strings.Contains(logText, secret) {
			t.Fatal("the log holds a secret")
		}
	}
}

func TestSigninTokenExpiresAfter30Seconds(t *testing.T) {
	h := newHarness(t)
	role := h.assume(t, demoCreds, DemoAdminRoleARN, "console", nil)
	early := h.federation(t, http.MethodPost, tokenParams(role)).token
	late := h.federation(t, http.MethodPost, tokenParams(role)).token
	h.clock.Advance(SigninTokenLifetime - time.Second)
	if res := h.federation(t, http.MethodGet, loginParams(early, "https://console.aliyun.com/")); res.status != http.StatusFound {
		t.Fatalf("29 s old token: %+v", res)
	}
	h.clock.Advance(2 * time.Second)
	wantFedError(t, h.federation(t, http.MethodGet, loginParams(late, "https://console.aliyun.com/")), 401, "InvalidCredential.AuthenticateFail")

	// A token never outlives its session.
	h.srv.Inject(Fault{Action: "AssumeRole", Times: 1, TokenLifetime: 10 * time.Second})
	short := h.assume(t, demoCreds, DemoAdminRoleARN, "short", nil)
	tok := h.federation(t, http.MethodPost, tokenParams(short)).token
	h.clock.Advance(11 * time.Second)
	wantFedError(t, h.federation(t, http.MethodGet, loginParams(tok, "https://console.aliyun.com/")), 401, "InvalidCredential.AuthenticateFail")
	wantFedError(t, h.federation(t, http.MethodPost, tokenParams(short)), 401, "InvalidCredential.AuthenticateFail")
}

func TestSigninErrors(t *testing.T) {
	h := newHarness(t)
	role := h.assume(t, demoCreds, DemoAdminRoleARN, "console", nil)
	without := func(v url.Values, name string) url.Values { v.Del(name); return v }
	with := func(v url.Values, name, value string) url.Values { v.Set(name, value); return v }
	good := h.federation(t, http.MethodPost, tokenParams(role)).token

	tests := []struct {
		name   string
		params url.Values
		status int
		code   string
	}{
		{"no action", without(tokenParams(role), "Action"), 400, "MissingParameter.Action"},
		{"unknown action", with(tokenParams(role), "Action", "Logout"), 400, "InvalidAction"},
		{"no key id", without(tokenParams(role), "AccessKeyId"), 400, "MissingParameter.AccessKeyId"},
		{"no secret", without(tokenParams(role), "AccessKeySecret"), 400, "MissingParameter.AccessKeySecret"},
		{"no token", without(tokenParams(role), "SecurityToken"), 400, "MissingParameter.SecurityToken"},
		{"no ticket type", without(tokenParams(role), "TicketType"), 400, "MissingParameter.TicketType"},
		{"ticket type", with(tokenParams(role), "TicketType", "normal"), 400, "InvalidParameter.TicketType"},
		{"wrong secret", with(tokenParams(role), "AccessKeySecret", "x"+role.secret), 401, "InvalidCredential.AuthenticateFail"},
		{"wrong token", with(tokenParams(role), "SecurityToken", role.token+"x"), 401, "InvalidCredential.AuthenticateFail"},
		{"long-term key", tokenParams(testCreds{id: DemoAccessKeyID, secret: DemoAccessKeySecret, token: "CAISx"}), 401, "InvalidCredential.AuthenticateFail"},
		{"unknown sign-in token", loginParams("bm9wZQ==", "https://console.aliyun.com/"), 401, "InvalidCredential.AuthenticateFail"},
		{"no destination", without(loginParams(good, ""), "Destination"), 400, "MissingParameter.Destination"},
		{"no login url", without(loginParams(good, "https://console.aliyun.com/"), "LoginUrl"), 400, "MissingParameter.LoginUrl"},
		{"no sign-in token", without(loginParams(good, "https://console.aliyun.com/"), "SigninToken"), 400, "MissingParameter.SigninToken"},
		{"relative login url", with(loginParams(good, "https://console.aliyun.com/"), "LoginUrl", "/login"), 400, "InvalidParameter.LoginUrl"},
		{"foreign destination", loginParams(good, "https://example.com/"), 400, "InvalidParameter.Destination"},
		{"look-alike destination", loginParams(good, "https://console.aliyun.com.example.com/"), 400, "InvalidParameter.Destination"},
		{"http destination", loginParams(good, "http://console.aliyun.com/"), 400, "InvalidParameter.Destination"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantFedError(t, h.federation(t, http.MethodPost, tc.params), tc.status, tc.code)
		})
	}
	// Rejected Logins did not spend the token.
	if res := h.federation(t, http.MethodGet, loginParams(good, "https://home.console.alibabacloud.com/")); res.status != http.StatusFound {
		t.Fatalf("token spent by a rejected login: %+v", res)
	}

	h.srv.Inject(Fault{Action: "GetSigninToken", Status: 503, Times: 1})
	wantFedError(t, h.federation(t, http.MethodPost, tokenParams(role)), 503, "ServiceUnavailable")
	if res := h.federation(t, http.MethodPost, tokenParams(role)); res.status != http.StatusOK {
		t.Fatalf("after the fault: %+v", res)
	}
}

func TestIsConsoleURL(t *testing.T) {
	for u, want := range map[string]bool{
		"https://console.aliyun.com/":                     true,
		"https://home.console.aliyun.com/":                true,
		"https://ecs.console.aliyun.com/#/server":         true,
		"https://ECS.Console.Aliyun.com/":                 true,
		"https://home.console.alibabacloud.com/":          true,
		"https://console.alibabacloud.com":                true,
		"http://console.aliyun.com/":                      false,
		"https://console.aliyun.com:8443/":                false,
		"https://user@console.aliyun.com/":                false,
		"https://evilconsole.aliyun.com/":                 false,
		"https://console.aliyun.com.example.com/":         false,
		"https://signin.aliyun.com/federation":            false,
		"javascript:alert(1)//console.aliyun.com":         false,
		"https://example.com/?next=console.aliyun.com":    false,
		"https://example.com/#https://console.aliyun.com": false,
	} {
		if got := IsConsoleURL(u); got != want {
			t.Errorf("IsConsoleURL(%q) = %v, want %v", u, got, want)
		}
	}
}
