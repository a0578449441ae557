package sso

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestPortalErrorsNeverCarrySecrets: a portal (or proxy) error that echoes
// the bearer token or what the request sent (code verifier, device code)
// must not get them into the error text.
func TestPortalErrorsNeverCarrySecrets(t *testing.T) {
	const (
		tok      = "ssot.SentinelAccessToken0123456789abcdef"
		verifier = "SentinelVerifier0123456789abcdef0123456789"
		device   = "SentinelDeviceCode0123456789"
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusBadRequest)
		echo := strings.NewReplacer(`"`, `'`).Replace(r.Header.Get("Authorization") + " " + string(body))
		w.Write([]byte(`{"ErrorCode":"InvalidParameter","ErrorMessage":"rejected ` + echo + `","RequestId":"r"}`))
	}))
	defer srv.Close()
	p := &Portal{SignInURL: srv.URL + "/start/login", HTTP: srv.Client(), ClientID: "c"}
	_, err1 := p.ListAccounts(context.Background(), tok)
	_, err2 := p.CreateToken(context.Background(), device, verifier)
	for _, err := range []error{err1, err2} {
		if err == nil || !strings.Contains(err.Error(), "rejected") {
			t.Fatalf("err = %v (the portal's message should come through)", err)
		}
		t.Log(err)
		for _, s := range []string{"SentinelAccessToken", "SentinelVerifier", "SentinelDeviceCode"} {
			if strings.Contains(err.Error(), s) {
				t.Errorf("the error carries a secret: %v", err)
			}
		}
	}
}

// TestDeviceAuthorizationRefusesHostileAddresses: the verification address
// goes to the terminal and to the browser command; one that is not an
// http(s) URL, or that holds control characters, is refused, and so is a
// user code with them.
func TestDeviceAuthorizationRefusesHostileAddresses(t *testing.T) {
	for _, tc := range []struct{ uri, complete, code string }{
		{"file:///etc/passwd", "", "ABCD-EFGH"},
		{"https://portal.example/device", "--new-window=javascript:alert(1)", "ABCD-EFGH"},
		{"https://portal.example/device\x1b]0;pwned\a", "", "ABCD-EFGH"},
		{"https://portal.example/device", "https://portal.example/device?user_code=A B", "ABCD-EFGH"},
		{"https://portal.example/device", "", "ABCD\x1b[2J"},
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := json.Marshal(map[string]any{"DeviceCode": "dc", "UserCode": tc.code, "VerificationUri": tc.uri, "VerificationUriComplete": tc.complete, "Interval": 1})
			w.Write(b)
		}))
		p := &Portal{SignInURL: srv.URL + "/start/login", HTTP: srv.Client(), ClientID: "c"}
		_, err := p.StartDeviceAuthorization(context.Background(), "challenge")
		srv.Close()
		if err == nil {
			t.Errorf("accepted VerificationUri %q, complete %q, code %q", tc.uri, tc.complete, tc.code)
		}
	}
	// The emulator's and the real portal's form passes.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"DeviceCode":"dc","UserCode":"ABCD-EFGH","VerificationUri":"https://signin-cn-shanghai.alibabacloudsso.com/device","VerificationUriComplete":"https://signin-cn-shanghai.alibabacloudsso.com/device?user_code=ABCD-EFGH","Interval":5}`))
	}))
	defer srv.Close()
	p := &Portal{SignInURL: srv.URL + "/start/login", HTTP: srv.Client(), ClientID: "c"}
	if _, err := p.StartDeviceAuthorization(context.Background(), "challenge"); err != nil {
		t.Fatal(err)
	}
}
