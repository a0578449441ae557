package oauth

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/aliyun/credentials-go/credentials/providers"

	"github.com/alirole/alirole/internal/signinlock"
	"github.com/alirole/alirole/keychain"
)

// TokenStore keeps OAuth tokens; *keychain.Store implements it.
type TokenStore interface {
	OAuthToken(oauthURL string) (keychain.OAuthToken, error)
	SetOAuthToken(t keychain.OAuthToken) error
	RemoveOAuthToken(oauthURL string) error
}

// refreshWindow is credentials-go's rule (providers/oauth.go
// getCredentials refreshes when the access token has 1200 s or less
// left); alirole refreshes on the same rule, itself (see Provider).
const refreshWindow = 1200 * time.Second

// ErrNotSignedIn means there is no OAuth token for the site.
var ErrNotSignedIn = errors.New("not signed in with OAuth")

// Manager hands credentials-go OAuth providers fresh tokens. One process
// at a time uses a site's refresh token (a flock(2) lock per OAuth URL):
// refresh tokens are single use.
type Manager struct {
	Store   TokenStore
	LockDir string
	Getenv  func(string) string
	HTTP    *http.Client
	Now     func() time.Time
	Log     *slog.Logger
	// ConnectTimeout and ReadTimeout bound credentials-go's exchange.
	ConnectTimeout, ReadTimeout time.Duration
	// LoginHint names the command that signs in for a site.
	LoginHint func(site string) string
}

func (m *Manager) now() time.Time {
	if m.Now == nil {
		return time.Now()
	}
	return m.Now()
}

func (m *Manager) log() *slog.Logger {
	if m.Log == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return m.Log
}

func (m *Manager) hint(site string) string {
	if m.LoginHint != nil {
		return m.LoginHint(site)
	}
	return "alirole oauth login --site " + site
}

// Lock takes the cross-process lock of the site's tokens.
func (m *Manager) Lock(ctx context.Context, site Site) (func(), error) {
	fl, err := signinlock.New(m.LockDir, signinlock.Base(m.LockDir, "oauth-", site.OAuthURL))
	if err != nil {
		return nil, err
	}
	if err := signinlock.Wait(ctx, fl, 2*time.Minute, 20*time.Millisecond); err != nil {
		return nil, fmt.Errorf("wait for the OAuth token lock: %w", err)
	}
	return func() { _ = fl.Unlock() }, nil
}

// Provider returns a credentials-go OAuth provider for the site with a
// fresh access token; release must be called once the provider is done.
func (m *Manager) Provider(ctx context.Context, siteName string) (providers.CredentialsProvider, func(), error) {
	site, err := SiteFor(siteName, m.Getenv)
	if err != nil {
		return nil, nil, err
	}
	unlock, err := m.Lock(ctx, site)
	if err != nil {
		return nil, nil, err
	}
	ok := false
	defer func() {
		if !ok {
			unlock()
		}
	}()
	tok, err := m.Store.OAuthToken(site.OAuthURL)
	if errors.Is(err, keychain.ErrNotFound) {
		return nil, nil, fmt.Errorf("%w for the %s site: run '%s'", ErrNotSignedIn, site.Name, m.hint(site.Name))
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read the OAuth token from the keychain: %w", err)
	}
	if tok.AccessToken == "" || !tok.AccessExpires.After(m.now().Add(refreshWindow)) {
		m.log().Debug("refreshing the OAuth access token", "site", site.Name)
		fresh, err := Refresh(ctx, m.HTTP, site, tok.RefreshToken, m.now)
		if err != nil {
			if Permanent(err) {
				_ = m.Store.RemoveOAuthToken(site.OAuthURL)
				return nil, nil, fmt.Errorf("the OAuth sign-in for the %s site is no longer valid (%w): it was revoked or has expired\n  what to do: run '%s' to sign in again", site.Name, err, m.hint(site.Name))
			}
			return nil, nil, fmt.Errorf("refresh the OAuth access token: %w\n  what to do: try again in a minute; if it keeps failing, run '%s' to sign in again", err, m.hint(site.Name))
		}
		// Stored before anything else: the old refresh token is spent.
		if err := m.Store.SetOAuthToken(fresh); err != nil {
			return nil, nil, fmt.Errorf("store the rotated OAuth refresh token (the previous one is now spent; run '%s' if this persists): %w", m.hint(site.Name), err)
		}
		tok = fresh
	}
	// The provider gets no refresh token, so it never refreshes itself
	// (with none, credentials-go v1.4.12+ sends the access token as it is
	// to /v1/exchange; providers/oauth.go getCredentials). Its own refresh
	// would be reported through WithTokenUpdateCallback only after the
	// exchange succeeded (GetCredentials calls the callback after
	// getCredentials returns), so a crash or a failed exchange in between
	// would lose the rotated refresh token; alirole refreshes first and
	// stores the new one before the exchange instead.
	prov, err := providers.NewOAuthCredentialsProviderBuilder().
		WithClientId(site.ClientID).
		WithSignInUrl(site.OAuthURL).
		WithAccessToken(tok.AccessToken).
		WithAccessTokenExpire(tok.AccessExpires.Unix()).
		WithHttpOptions(&providers.HttpOptions{ConnectTimeout: int(m.ConnectTimeout.Milliseconds()), ReadTimeout: int(m.ReadTimeout.Milliseconds())}).
		Build()
	if err != nil {
		return nil, nil, fmt.Errorf("set up the OAuth provider: %w", err)
	}
	ok = true
	return prov, unlock, nil
}
