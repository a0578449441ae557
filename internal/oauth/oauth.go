// Package oauth signs in to Alibaba Cloud with OAuth for the aliyun CLI's
// official-cli application (authorization code with PKCE S256, redirect
// to a listener on 127.0.0.1 only), keeps the refresh and access tokens in
// the keychain, and hands credentials-go's OAuth provider tokens that are
// fresh, with every rotated refresh token stored before it is used.
//
// The protocol is the aliyun CLI's (aliyun-cli config/configure.go
// startOauthFlow, tryRefreshOauthToken) and credentials-go's
// (providers/oauth.go).
package oauth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/alirole/alirole/internal/httpguard"
	"github.com/alirole/alirole/internal/webapi"
	"github.com/alirole/alirole/keychain"
)

// Site is one OAuth site: where the browser signs in, where tokens come
// from and the client id (aliyun-cli and credentials-go cli_profile.go
// hard-code the same maps).
type Site struct {
	Name      string
	SignInURL string
	OAuthURL  string
	ClientID  string
}

// Sites are the two real sites.
var sites = map[string]Site{
	"CN":   {Name: "CN", SignInURL: "https://signin.aliyun.com", OAuthURL: "https://oauth.aliyun.com", ClientID: "4038181954557748008"},
	"INTL": {Name: "INTL", SignInURL: "https://signin.alibabacloud.com", OAuthURL: "https://oauth.alibabacloud.com", ClientID: "4103531455503354461"},
}

// SiteFor returns the site named name (CN or INTL).
// ALIROLE_OAUTH_SIGNIN_URL and ALIROLE_OAUTH_URL point both at another
// host (the emulator, a test gateway), like ALIROLE_STS_ENDPOINT does STS.
func SiteFor(name string, getenv func(string) string) (Site, error) {
	s, ok := sites[strings.ToUpper(name)]
	if !ok {
		return Site{}, fmt.Errorf("unknown OAuth site %q: use CN or INTL", name)
	}
	for _, o := range []struct {
		env string
		dst *string
	}{{"ALIROLE_OAUTH_SIGNIN_URL", &s.SignInURL}, {"ALIROLE_OAUTH_URL", &s.OAuthURL}} {
		v := getenv(o.env)
		if v == "" {
			continue
		}
		if err := baseURLProblem(v); err != nil {
			return Site{}, fmt.Errorf("%s: %w", o.env, err)
		}
		*o.dst = strings.TrimRight(v, "/")
	}
	return s, nil
}

// baseURLProblem accepts https://host[:port], or http:// for a loopback
// host (the emulator): tokens travel to it.
func baseURLProblem(v string) error {
	u, err := url.Parse(v)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || strings.Trim(u.Path, "/") != "" {
		return fmt.Errorf("expected https://host[:port], got %q", v)
	}
	if u.Scheme == "https" {
		return nil
	}
	if ip := net.ParseIP(u.Hostname()); u.Scheme == "http" && (u.Hostname() == "localhost" || ip != nil && ip.IsLoopback()) {
		return nil
	}
	return fmt.Errorf("expected https://host[:port] (http only for a loopback host), got %q", v)
}

// Ports are the callback ports the redirect allows; the first free one is
// used (the aliyun CLI's range).
var Ports = []int{12345, 12346, 12347, 12348, 12349}

// DefaultTimeout bounds one sign-in.
const DefaultTimeout = 5 * time.Minute

// Error is an OAuth error answer: {"error","error_description","requestId"}.
type Error struct {
	Status      int
	Code        string
	Description string
}

func (e *Error) Error() string {
	return webapi.Describe(fmt.Sprintf("OAuth service answered %d", e.Status), e.Code, e.Description, "")
}

// Permanent reports whether err means the grant is gone for good: the
// user must sign in again (the codes aliyun-cli's mcpproxy oauthRefresh
// treats as permanent).
func Permanent(err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case "invalid_grant", "invalid_client", "unauthorized_client", "invalid_token":
		return true
	}
	return false
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomAlnum draws n characters from [A-Za-z0-9] with crypto/rand.
func randomAlnum(r io.Reader, n int) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, n)
	max := big.NewInt(int64(len(alnum)))
	for i := range b {
		v, err := rand.Int(r, max)
		if err != nil {
			return "", fmt.Errorf("random: %w", err)
		}
		b[i] = alnum[v.Int64()]
	}
	return string(b), nil
}

func challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// UI is where a sign-in talks to the person.
type UI struct {
	Out  io.Writer
	Open func(ctx context.Context, url string) error // nil: no browser
}

// LoginOptions configures Login.
type LoginOptions struct {
	Site    Site
	UI      UI
	Timeout time.Duration
	HTTP    *http.Client
	Now     func() time.Time
	// Listen opens the callback listener (default: net.Listen on
	// 127.0.0.1, never on every interface as the aliyun CLI does).
	Listen func(port int) (net.Listener, error)
	Ports  []int
}

// ErrTimeout means the browser never came back.
var ErrTimeout = errors.New("the OAuth sign-in did not complete in time")

// Login runs the authorization code flow and returns the tokens.
func Login(ctx context.Context, o LoginOptions) (keychain.OAuthToken, error) {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Listen == nil {
		o.Listen = func(port int) (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)) }
	}
	if len(o.Ports) == 0 {
		o.Ports = Ports
	}
	out := o.UI.Out
	if out == nil {
		out = io.Discard
	}
	verifier, err := randomAlnum(nil, 128)
	if err != nil {
		return keychain.OAuthToken{}, err
	}
	state, err := randomAlnum(nil, 32)
	if err != nil {
		return keychain.OAuthToken{}, err
	}
	var (
		ln   net.Listener
		port int
		errs []error
	)
	for _, p := range o.Ports {
		if ln, err = o.Listen(p); err == nil {
			port = p
			break
		}
		errs = append(errs, err)
	}
	if ln == nil {
		return keychain.OAuthToken{}, fmt.Errorf("no free port for the OAuth callback among %v: %w", o.Ports, errors.Join(errs...))
	}
	redirect := fmt.Sprintf("http://127.0.0.1:%d/cli/callback", port)
	type answer struct {
		code string
		err  error
	}
	got := make(chan answer, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/cli/callback", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		// Only the browser's own request: a page on another host cannot
		// reach us under a rebound name.
		if r.Host != fmt.Sprintf("127.0.0.1:%d", port) {
			http.Error(w, "Wrong host", http.StatusBadRequest)
			return
		}
		if subtle.ConstantTimeCompare([]byte(r.FormValue("state")), []byte(state)) != 1 {
			http.Error(w, "Invalid state", http.StatusBadRequest)
			return
		}
		if e := r.FormValue("error"); e != "" {
			http.Error(w, "Authorization failed. You can close this window.", http.StatusBadRequest)
			select {
			case got <- answer{err: fmt.Errorf("the OAuth sign-in was refused: %s", webapi.Short(e, 64))}:
			default:
			}
			return
		}
		code := r.FormValue("code")
		if code == "" {
			http.Error(w, "Code not found", http.StatusBadRequest)
			return
		}
		select {
		case got <- answer{code: code}:
			_, _ = io.WriteString(w, "Authorization successful. You can close this window.\n")
		default:
			http.Error(w, "This sign-in is already complete.", http.StatusConflict)
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	q := url.Values{
		"response_type":         {"code"},
		"client_id":             {o.Site.ClientID},
		"redirect_uri":          {redirect},
		"state":                 {state},
		"code_challenge":        {challenge(verifier)},
		"code_challenge_method": {"S256"},
	}
	authURL := o.Site.SignInURL + "/oauth2/v1/auth?" + q.Encode()
	fmt.Fprintf(out, "alirole: OAuth sign-in to Alibaba Cloud (%s site); waiting on 127.0.0.1:%d for the browser\n", o.Site.Name, port)
	opened := false
	if o.UI.Open != nil {
		if err := o.UI.Open(ctx, authURL); err != nil {
			fmt.Fprintf(out, "alirole: could not open a browser (%v)\n", err)
		} else {
			opened = true
			fmt.Fprintln(out, "alirole: opened the sign-in page in your browser")
		}
	}
	if !opened {
		// The URL carries no secret (the verifier stays here), but it
		// must be opened on this machine: the redirect goes to 127.0.0.1.
		fmt.Fprintf(out, "alirole: open this address in a browser on this machine:\n  %s\n", authURL)
	}
	timer := time.NewTimer(o.Timeout)
	defer timer.Stop()
	var a answer
	select {
	case a = <-got:
	case <-timer.C:
		return keychain.OAuthToken{}, fmt.Errorf("%w: no answer from the browser within %s (run the command again, or raise --timeout)", ErrTimeout, o.Timeout)
	case <-ctx.Done():
		return keychain.OAuthToken{}, fmt.Errorf("OAuth sign-in: %w", ctx.Err())
	}
	if a.err != nil {
		return keychain.OAuthToken{}, a.err
	}
	tok, err := tokenCall(ctx, o.HTTP, o.Site, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {a.code},
		"client_id":     {o.Site.ClientID},
		"redirect_uri":  {redirect},
		"code_verifier": {verifier},
	}, o.Now)
	if err != nil {
		return keychain.OAuthToken{}, fmt.Errorf("OAuth sign-in: %w", err)
	}
	fmt.Fprintln(out, "alirole: signed in with OAuth")
	return tok, nil
}

// Refresh trades the refresh token for a new access token and a new
// refresh token; the old one is spent.
func Refresh(ctx context.Context, client *http.Client, site Site, refreshToken string, now func() time.Time) (keychain.OAuthToken, error) {
	return tokenCall(ctx, client, site, url.Values{
		"grant_type":    {"refresh_token"},
		"refresh_token": {refreshToken},
		"client_id":     {site.ClientID},
		// credentials-go sends it too (providers/oauth.go tryRefreshOauthToken).
		"Timestamp": {now().UTC().Format("2006-01-02T15:04:05Z")},
	}, now)
}

const maxAnswer = 1 << 20

func tokenCall(ctx context.Context, client *http.Client, site Site, form url.Values, now func() time.Time) (keychain.OAuthToken, error) {
	if now == nil {
		now = time.Now
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, site.OAuthURL+"/v1/token", strings.NewReader(form.Encode()))
	if err != nil {
		return keychain.OAuthToken{}, fmt.Errorf("token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := webapi.Do(client, req)
	if err != nil {
		return keychain.OAuthToken{}, fmt.Errorf("POST %s/v1/token: %w", site.OAuthURL, err)
	}
	defer resp.Body.Close()
	data, err := webapi.ReadAnswer(resp.Body, maxAnswer)
	if errors.Is(err, webapi.ErrTooLarge) || httpguard.IsTooLarge(err) {
		// main's guarded transport (internal/httpguard) may cut it first.
		return keychain.OAuthToken{}, fmt.Errorf("the OAuth token answer is larger than %d KiB, far more than any real one (ALIROLE_OAUTH_URL, if set, or a proxy in between is broken or hostile)", maxAnswer>>10)
	}
	if err != nil {
		return keychain.OAuthToken{}, fmt.Errorf("read the token answer: too large or cut off")
	}
	if resp.StatusCode != http.StatusOK {
		e := &Error{Status: resp.StatusCode}
		var eb struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(data, &eb) == nil {
			// The form carried the refresh token, or the code and verifier.
			sent := []string{form.Get("refresh_token"), form.Get("code"), form.Get("code_verifier")}
			e.Code, e.Description = webapi.Short(eb.Error, 64, sent...), webapi.Short(eb.Description, 300, sent...)
		}
		return keychain.OAuthToken{}, e
	}
	var t struct {
		AccessToken  string `json:"access_token"`
		RefreshToken string `json:"refresh_token"`
		ExpiresIn    int64  `json:"expires_in"`
	}
	if err := json.Unmarshal(data, &t); err != nil {
		return keychain.OAuthToken{}, errors.New("the token answer is not JSON")
	}
	if t.AccessToken == "" || t.RefreshToken == "" || t.ExpiresIn <= 0 {
		return keychain.OAuthToken{}, errors.New("the token answer lacks access_token, refresh_token or expires_in")
	}
	for _, f := range []struct{ name, v string }{{"access_token", t.AccessToken}, {"refresh_token", t.RefreshToken}} {
		if msg := webapi.TokenProblem(f.name, f.v, t.ExpiresIn); msg != "" {
			return keychain.OAuthToken{}, fmt.Errorf("the OAuth token answer is not one the service gives: %s; check ALIROLE_OAUTH_URL (if set) and any proxy in between; nothing was stored", msg)
		}
	}
	n := now().UTC().Truncate(time.Second)
	return keychain.OAuthToken{
		Site: site.Name, OAuthURL: site.OAuthURL, RefreshToken: t.RefreshToken, AccessToken: t.AccessToken,
		AccessExpires: n.Add(time.Duration(t.ExpiresIn) * time.Second), Created: n,
	}, nil
}
