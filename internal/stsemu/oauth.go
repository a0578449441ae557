package stsemu

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// OAuth for the aliyun CLI's official-cli application (aliyun-cli
// config/configure.go startOauthFlow, tryRefreshOauthToken,
// exchangeFromOAuth; credentials-go providers/oauth.go): the sign-in
// host's /oauth2/v1/auth (authorization code with PKCE S256) and the OAuth
// host's /v1/token (authorization_code and refresh_token grants; refresh
// tokens rotate and are single use) and /v1/exchange (STS credentials,
// camelCase). The emulator serves both hosts on its own listeners. See
// ../shared/cloudsso-oauth-facts.md §2.
const (
	oauthAuthPath     = "/oauth2/v1/auth"
	oauthTokenPath    = "/v1/token"
	oauthExchangePath = "/v1/exchange"

	ActionOAuthAuthorize = "OAuth.Authorize"
	ActionOAuthToken     = "OAuth.Token"
	ActionOAuthRefresh   = "OAuth.Refresh"
	ActionOAuthExchange  = "OAuth.Exchange"

	// The client ids the aliyun CLI and credentials-go hard-code.
	OAuthClientIDCN   = "4038181954557748008"
	OAuthClientIDINTL = "4103531455503354461"

	DefaultOAuthAccessTokenTTL = time.Hour
	oauthCodeTTL               = 5 * time.Minute
)

// OAuth is the emulated OAuth user: who signs in, and as what the
// exchanged STS credentials act.
type OAuth struct {
	// AccountID and RoleName: /v1/exchange hands out sessions of this role
	// (standing in for the user's own STS identity), so role hops on top
	// trust acs:ram::<account>:role/<RoleName>.
	AccountID string `json:"accountId"`
	RoleName  string `json:"roleName"`
	UserName  string `json:"userName,omitempty"`
}

func (o *OAuth) validate(w *World) error {
	if o == nil {
		return nil
	}
	for _, a := range w.Accounts {
		if a.ID != o.AccountID {
			continue
		}
		for _, r := range a.Roles {
			if strings.EqualFold(r.Name, o.RoleName) {
				return nil
			}
		}
		return fmt.Errorf("oauth: role %q does not exist in account %s", o.RoleName, o.AccountID)
	}
	return fmt.Errorf("oauth: account %q is not in the world", o.AccountID)
}

func (o *OAuth) clone() *OAuth {
	if o == nil {
		return nil
	}
	c := *o
	return &c
}

// OAuthOptions tunes the emulated OAuth service.
type OAuthOptions struct {
	// AccessTokenTTL is expires_in of access tokens.
	AccessTokenTTL time.Duration
}

type oauthCode struct {
	clientID, redirect, challenge string
	expires                       time.Time
	used                          bool
}

type oauthRefresh struct {
	clientID string
	used     bool
}

// oauthState is guarded by Server.mu.
type oauthState struct {
	opts     OAuthOptions
	codes    map[string]*oauthCode
	refresh  map[string]*oauthRefresh
	access   map[string]time.Time
	verifier []string // every code verifier received, for leak tests
	issued   []string // every token issued, for leak tests
}

func newOAuthState(o OAuthOptions) oauthState {
	if o.AccessTokenTTL <= 0 {
		o.AccessTokenTTL = DefaultOAuthAccessTokenTTL
	}
	return oauthState{opts: o, codes: map[string]*oauthCode{}, refresh: map[string]*oauthRefresh{}, access: map[string]time.Time{}}
}

func isOAuthPath(p string) bool {
	return p == oauthAuthPath || p == oauthTokenPath || p == oauthExchangePath
}

type oauthErr struct {
	status            int
	code, description string
}

type oauthErrorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
	RequestID   string `json:"requestId"`
}

func (s *Server) handleOAuth(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	rid := s.requestID()
	call, fx := s.beginCall(oauthAction(r))
	defer s.logCallSince(&call, started)
	if s.playFaults(w, r, &call, fx) {
		return
	}
	var (
		resp     any
		location string
		oe       *oauthErr
	)
	s.mu.Lock()
	enabled := s.world.OAuth != nil
	s.mu.Unlock()
	switch {
	case fx.malformed:
		s.answerMalformed(w, rid, &call, fx)
		return
	case fx.status != 0:
		code := fx.code
		if code == "" {
			code = "server_error"
		}
		oe = &oauthErr{fx.status, code, fx.message}
	case !enabled:
		oe = &oauthErr{http.StatusNotFound, "not_found", "This emulator has no OAuth user (add oauth to the world)."}
	case r.URL.Path == oauthAuthPath:
		location, oe = s.oauthAuthorize(r)
	case r.URL.Path == oauthTokenPath:
		resp, oe = s.oauthToken(r, rid)
	default:
		resp, oe = s.oauthExchange(r, rid, &call)
	}
	switch {
	case oe != nil:
		s.answerError(w, rid, &call, oe.status, oe.code, oauthErrorBody{Error: oe.code, Description: oe.description, RequestID: rid})
	case location != "":
		s.answerRedirect(w, &call, location)
	default:
		switch a := resp.(type) {
		case oauthExchangeResponse:
			shapeCredentials(fx, &a.AccessKeyID, &a.AccessKeySecret, &a.SecurityToken, &a.Expiration)
			resp = a
		case oauthTokenResponse:
			shapeToken(fx, &a.AccessToken, &a.RefreshToken)
			resp = a
		}
		s.answerJSON(w, rid, &call, resp, fx)
	}
}

// oauthAction names the call for the record and for faults: the token
// path serves both the code grant and the refresh grant.
func oauthAction(r *http.Request) string {
	switch r.URL.Path {
	case oauthAuthPath:
		return ActionOAuthAuthorize
	case oauthExchangePath:
		return ActionOAuthExchange
	}
	if r.Method == http.MethodPost && strings.Contains(r.Header.Get("Content-Type"), "form") {
		_ = r.ParseForm()
		if r.PostForm.Get("grant_type") == "refresh_token" {
			return ActionOAuthRefresh
		}
	}
	return ActionOAuthToken
}

func knownOAuthClient(id string) bool { return id == OAuthClientIDCN || id == OAuthClientIDINTL }

// loopbackRedirect accepts http://127.0.0.1:<port>/cli/callback, the only
// redirect the CLI (and alirole) registers.
func loopbackRedirect(v string) bool {
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "http" || u.Path != "/cli/callback" || u.RawQuery != "" || u.User != nil {
		return false
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback() && u.Port() != ""
}

// oauthAuthorize plays the user who is signed in to the console and has
// consented: it redirects the browser straight back with a code.
func (s *Server) oauthAuthorize(r *http.Request) (string, *oauthErr) {
	if r.Method != http.MethodGet {
		return "", &oauthErr{http.StatusMethodNotAllowed, "invalid_request", "Use GET."}
	}
	q := r.URL.Query()
	switch {
	case q.Get("response_type") != "code":
		return "", &oauthErr{http.StatusBadRequest, "unsupported_response_type", "response_type must be code."}
	case !knownOAuthClient(q.Get("client_id")):
		return "", &oauthErr{http.StatusBadRequest, "invalid_client", "Unknown client_id."}
	case !loopbackRedirect(q.Get("redirect_uri")):
		return "", &oauthErr{http.StatusBadRequest, "invalid_request", "redirect_uri must be http://127.0.0.1:<port>/cli/callback."}
	case q.Get("code_challenge_method") != "S256" || len(q.Get("code_challenge")) != ssoCodeChallengeLen || !isBase64URL(q.Get("code_challenge")):
		return "", &oauthErr{http.StatusBadRequest, "invalid_request", "code_challenge must be an S256 challenge."}
	case q.Get("state") == "":
		return "", &oauthErr{http.StatusBadRequest, "invalid_request", "state is required."}
	}
	code, err := s.randString(32)
	if err != nil {
		return "", &oauthErr{http.StatusInternalServerError, "server_error", "no randomness"}
	}
	s.mu.Lock()
	s.oauth.codes[code] = &oauthCode{clientID: q.Get("client_id"), redirect: q.Get("redirect_uri"), challenge: q.Get("code_challenge"), expires: s.clock().Add(oauthCodeTTL)}
	s.mu.Unlock()
	return q.Get("redirect_uri") + "?" + url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), nil
}

type oauthTokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int64  `json:"expires_in"`
	TokenType    string `json:"token_type"`
}

func (s *Server) oauthToken(r *http.Request, rid string) (any, *oauthErr) {
	if r.Method != http.MethodPost {
		return nil, &oauthErr{http.StatusMethodNotAllowed, "invalid_request", "Use POST."}
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		return nil, &oauthErr{http.StatusBadRequest, "invalid_request", "The body must be a form."}
	}
	if err := r.ParseForm(); err != nil {
		return nil, &oauthErr{http.StatusBadRequest, "invalid_request", "The form is malformed."}
	}
	f := r.PostForm
	if !knownOAuthClient(f.Get("client_id")) {
		return nil, &oauthErr{http.StatusUnauthorized, "invalid_client", "Unknown client_id."}
	}
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.oauth
	switch f.Get("grant_type") {
	case "authorization_code":
		if v := f.Get("code_verifier"); v != "" && len(st.verifier) < 1000 {
			st.verifier = append(st.verifier, v)
		}
		c, ok := st.codes[f.Get("code")]
		if !ok || c.used || !now.Before(c.expires) || c.clientID != f.Get("client_id") {
			return nil, &oauthErr{http.StatusBadRequest, "invalid_grant", "The authorization code is invalid or expired."}
		}
		c.used = true // single use, even when the rest is wrong
		if c.redirect != f.Get("redirect_uri") {
			return nil, &oauthErr{http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the authorization request."}
		}
		sum := sha256.Sum256([]byte(f.Get("code_verifier")))
		if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(c.challenge)) != 1 {
			return nil, &oauthErr{http.StatusBadRequest, "invalid_grant", "code_verifier does not match the code challenge."}
		}
		return s.issueOAuthTokensLocked(f.Get("client_id"), now)
	case "refresh_token":
		rt, ok := st.refresh[f.Get("refresh_token")]
		if !ok || rt.used || rt.clientID != f.Get("client_id") {
			return nil, &oauthErr{http.StatusBadRequest, "invalid_grant", "The refresh token is invalid, used or revoked."}
		}
		rt.used = true
		return s.issueOAuthTokensLocked(f.Get("client_id"), now)
	default:
		return nil, &oauthErr{http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token."}
	}
}

// issueOAuthTokensLocked makes an access token and a new refresh token.
// Callers hold s.mu (randBytes takes only randMu).
func (s *Server) issueOAuthTokensLocked(clientID string, now time.Time) (any, *oauthErr) {
	at, err1 := s.randBytes(40)
	rt, err2 := s.randBytes(40)
	if err := errors.Join(err1, err2); err != nil {
		return nil, &oauthErr{http.StatusInternalServerError, "server_error", "no randomness"}
	}
	access, refresh := "oat."+base64.RawURLEncoding.EncodeToString(at), "ort."+base64.RawURLEncoding.EncodeToString(rt)
	st := &s.oauth
	st.access[access] = now.Add(st.opts.AccessTokenTTL)
	st.refresh[refresh] = &oauthRefresh{clientID: clientID}
	if len(st.issued) < 10000 {
		st.issued = append(st.issued, access, refresh)
	}
	return oauthTokenResponse{AccessToken: access, RefreshToken: refresh, ExpiresIn: int64(st.opts.AccessTokenTTL / time.Second), TokenType: "Bearer"}, nil
}

type oauthExchangeResponse struct {
	RequestID       string `json:"requestId"`
	AccessKeyID     string `json:"accessKeyId"`
	AccessKeySecret string `json:"accessKeySecret"`
	SecurityToken   string `json:"securityToken"`
	Expiration      string `json:"expiration"`
}

func (s *Server) oauthExchange(r *http.Request, rid string, call *Call) (any, *oauthErr) {
	if r.Method != http.MethodPost {
		return nil, &oauthErr{http.StatusMethodNotAllowed, "invalid_request", "Use POST."}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxBodyBytes))
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	now := s.clock()
	s.mu.Lock()
	exp, known := s.oauth.access[tok]
	o := *s.world.OAuth
	role := s.findRole(o.AccountID, o.RoleName)
	var rc Role
	if role != nil {
		rc = *role
	}
	s.mu.Unlock()
	switch {
	case !ok || !known:
		return nil, &oauthErr{http.StatusUnauthorized, "invalid_token", "The access token is invalid."}
	case !now.Before(exp):
		// The CLI's comment quotes this answer.
		return nil, &oauthErr{http.StatusUnauthorized, "expired_token", "The access token is expired."}
	case role == nil:
		return nil, &oauthErr{http.StatusInternalServerError, "server_error", "role missing"}
	}
	name := o.UserName
	if name == "" {
		name = "oauth-user"
	}
	lifetime := time.Hour
	if s.tokenLifetime > 0 {
		lifetime = s.tokenLifetime
	}
	sess, err := s.newSession("", o.AccountID, rc, name, lifetime)
	if err != nil {
		return nil, &oauthErr{http.StatusInternalServerError, "server_error", "could not issue credentials"}
	}
	call.AccessKeyID, call.RoleArn = sess.akID, RoleARN(o.AccountID, rc.Name)
	return oauthExchangeResponse{RequestID: rid, AccessKeyID: sess.akID, AccessKeySecret: sess.secret, SecurityToken: sess.token, Expiration: sess.expires.UTC().Format(timestampLayout)}, nil
}

// RevokeOAuthRefreshTokens makes every refresh token unusable (the user
// revoked the application's access) and returns how many were live.
func (s *Server) RevokeOAuthRefreshTokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, rt := range s.oauth.refresh {
		if !rt.used {
			rt.used = true
			n++
		}
	}
	return n
}

// SetOAuthOptions replaces the OAuth settings.
func (s *Server) SetOAuthOptions(o OAuthOptions) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o.AccessTokenTTL <= 0 {
		o.AccessTokenTTL = DefaultOAuthAccessTokenTTL
	}
	s.oauth.opts = o
}

// OAuthSecrets returns every token issued and code verifier received.
func (s *Server) OAuthSecrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append(append([]string(nil), s.oauth.issued...), s.oauth.verifier...)
}
