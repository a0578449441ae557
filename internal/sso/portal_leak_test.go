package sso

import (
	"context"
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
