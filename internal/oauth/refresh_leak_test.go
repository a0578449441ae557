package oauth

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestRefreshErrorNeverCarriesTheRefreshToken: an error answer that echoes
// the (long-lived) refresh token must not get it into the error text.
func TestRefreshErrorNeverCarriesTheRefreshToken(t *testing.T) {
	const rt = "ort.SentinelRefreshToken0123456789abcdef"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte(`{"error":"invalid_grant","error_description":"refresh token ` + rt + ` (` + url.QueryEscape(rt+"/") + `) is invalid"}`))
	}))
	defer srv.Close()
	_, err := Refresh(context.Background(), srv.Client(), Site{Name: "CN", OAuthURL: srv.URL, ClientID: "c"}, rt, time.Now)
	if err == nil || !strings.Contains(err.Error(), "is invalid") {
		t.Fatalf("err = %v (the answer's description should come through)", err)
	}
	if strings.Contains(err.Error(), "SentinelRefreshToken") {
		t.Fatalf("the error carries the refresh token: %v", err)
	}
}
