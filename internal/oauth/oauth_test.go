package oauth

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/99designs/keyring"

	"github.com/alirole/alirole/internal/stsemu"
	"github.com/alirole/alirole/keychain"
)

const acct = "1111222233334444"

func emulator(t *testing.T) (*stsemu.Server, Site) {
	t.Helper()
	w := &stsemu.World{
		Accounts: []stsemu.Account{{ID: acct, Roles: []stsemu.Role{{Name: "oauth-user"}}}},
		OAuth:    &stsemu.OAuth{AccountID: acct, RoleName: "oauth-user"},
	}
	srv, err := stsemu.New(w, stsemu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.StartHTTP("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	base := "http://" + srv.HTTPEndpoint()
	site, err := SiteFor("CN", func(k string) string {
		return map[string]string{"ALIROLE_OAUTH_SIGNIN_URL": base, "ALIROLE_OAUTH_URL": base}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv, site
}

// freePorts returns n ports that were free a moment ago.
func freePorts(t *testing.T, n int) []int {
	var out []int
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ln.Addr().(*net.TCPAddr).Port)
		ln.Close()
	}
	return out
}

func TestLoginStateCheckAndPortFallback(t *testing.T) {
	_, site := emulator(t)
	ports := freePorts(t, 2)
	busy, err := net.Listen("tcp", "127.0.0.1:"+itoa(ports[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	var out strings.Builder
	open := func(ctx context.Context, u string) error {
		pu, _ := url.Parse(u)
		redirect, _ := url.Parse(pu.Query().Get("redirect_uri"))
		if redirect.Host != "127.0.0.1:"+itoa(ports[1]) {
			return errors.New("did not skip the busy port: " + redirect.Host)
		}
		go func() {
			// A forged callback first: refused, and the login goes on.
			resp, err := http.Get(redirect.String() + "?code=x&state=forged")
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 400 || !strings.Contains(string(b), "Invalid state") {
					t.Error("forged state accepted")
				}
			}
			// A request under another Host name (DNS rebinding).
			req, _ := http.NewRequest("GET", redirect.String()+"?code=x&state="+pu.Query().Get("state"), nil)
			req.Host = "evil.example:" + itoa(ports[1])
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				if resp.StatusCode != 400 {
					t.Error("foreign Host accepted")
				}
			}
			resp, err = http.Get(u) // the browser: follows the redirect back
			if err == nil {
				resp.Body.Close()
			}
		}()
		return nil
	}
	tok, err := Login(context.Background(), LoginOptions{Site: site, UI: UI{Out: &out, Open: open}, Ports: ports, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatalf("login: %v\n%s", err, out.String())
	}
	if tok.RefreshToken == "" || tok.AccessToken == "" || tok.OAuthURL != site.OAuthURL || !tok.AccessExpires.After(time.Now().Add(50*time.Minute)) {
		t.Fatalf("token %+v", tok)
	}
	if strings.Contains(out.String(), tok.RefreshToken) || strings.Contains(out.String(), tok.AccessToken) {
		t.Fatal("a token was printed")
	}
}

func TestLoginTimeout(t *testing.T) {
	_, site := emulator(t)
	_, err := Login(context.Background(), LoginOptions{Site: site, Ports: freePorts(t, 1), Timeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
}

func TestProviderRefreshesStoresAndReportsRevocation(t *testing.T) {
	srv, site := emulator(t)
	srv.SetOAuthOptions(stsemu.OAuthOptions{AccessTokenTTL: 10 * time.Minute})
	store := keychain.New(keyring.NewArrayKeyring(nil))
	tok, err := Login(context.Background(), LoginOptions{Site: site, Ports: freePorts(t, 1), Timeout: 10 * time.Second,
		UI: UI{Open: func(_ context.Context, u string) error {
			go func() {
				if resp, err := http.Get(u); err == nil {
					resp.Body.Close()
				}
			}()
			return nil
		}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SetOAuthToken(tok); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"ALIROLE_OAUTH_SIGNIN_URL": site.SignInURL, "ALIROLE_OAUTH_URL": site.OAuthURL}
	m := &Manager{Store: store, LockDir: t.TempDir(), Getenv: func(k string) string { return env[k] }, LoginHint: func(string) string { return "alirole oauth login me" }}
	prov, release, err := m.Provider(context.Background(), "CN")
	if err != nil {
		t.Fatal(err)
	}
	// The rotated refresh token is stored before the exchange.
	stored, _ := store.OAuthToken(site.OAuthURL)
	if stored.RefreshToken == tok.RefreshToken {
		t.Fatal("the rotated refresh token was not stored before the exchange")
	}
	if _, err := prov.GetCredentials(); err != nil {
		t.Fatal(err)
	}
	release()
	if n := srv.Count(stsemu.ActionOAuthRefresh, ""); n != 1 {
		t.Fatalf("%d refreshes: credentials-go refreshed too", n)
	}
	srv.RevokeOAuthRefreshTokens()
	_, _, err = m.Provider(context.Background(), "CN")
	if err == nil || !Permanent(errors.Unwrap(err)) && !strings.Contains(err.Error(), "no longer valid") || !strings.Contains(err.Error(), "alirole oauth login me") {
		t.Fatalf("err = %v", err)
	}
	if _, err := store.OAuthToken(site.OAuthURL); !errors.Is(err, keychain.ErrNotFound) {
		t.Fatal("the revoked token was kept")
	}
}

func TestSiteOverrideMustBeHTTPS(t *testing.T) {
	for v, ok := range map[string]bool{"https://oauth.example": true, "http://127.0.0.1:8080": true, "http://oauth.example": false, "https://x/path": false} {
		_, err := SiteFor("INTL", func(k string) string {
			if k == "ALIROLE_OAUTH_URL" {
				return v
			}
			return ""
		})
		if (err == nil) != ok {
			t.Errorf("%s: err = %v", v, err)
		}
	}
	if _, err := SiteFor("EU", func(string) string { return "" }); err == nil {
		t.Error("unknown site accepted")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
