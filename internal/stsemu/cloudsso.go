package stsemu

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// CloudSSO portal (the sign-in URL's own host, e.g.
// signin-cn-shanghai.alibabacloudsso.com): device authorization, token
// polling, assignment listing and STS credentials. Plain JSON over REST,
// PascalCase, Bearer-authenticated, not signed. Field names and error codes
// follow aliyun-cli cloudsso/{login,user,access_configurations,refresh}.go
// and credentials-go providers/cloud_sso.go; see
// ../shared/cloudsso-oauth-facts.md §1.
const (
	ssoDeviceAuthPath = "/device-authorization"
	ssoTokenPath      = "/token"
	ssoAccountsPath   = "/access-assignments/accounts"
	ssoConfigsPath    = "/access-assignments/access-configurations"
	ssoCredsPath      = "/cloud-credentials"
	ssoDevicePagePath = "/device"
	// SSOApprovePath is the test-only endpoint that plays the user who
	// signs in and clicks "allow" on the verification page: POST with
	// user_code (query or form). The real portal has no such thing.
	SSOApprovePath = "/_emulator/cloudsso/approve"

	ssoGrantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"

	// Call actions recorded for the portal.
	ActionSSODeviceAuthorization = "CloudSSO.DeviceAuthorization"
	ActionSSOToken               = "CloudSSO.Token"
	ActionSSOListAccounts        = "CloudSSO.ListAccounts"
	ActionSSOListAccessConfigs   = "CloudSSO.ListAccessConfigurations"
	ActionSSOCloudCredentials    = "CloudSSO.CloudCredentials"
	ActionSSOApprove             = "CloudSSO.Approve"

	// Error codes. AuthorizationPending and InvalidDeviceCodeError are the
	// ones the CLI and acs-sso key on; InvalidToken, AccessDenied and
	// Forbidden appear in the CLI's fixtures. SlowDown is RFC 8628's
	// slow_down in the portal's casing (no client handles it today, so its
	// spelling is the emulator's choice).
	SSOCodePending      = "AuthorizationPending"
	SSOCodeSlowDown     = "SlowDown"
	SSOCodeInvalidCode  = "InvalidDeviceCodeError"
	SSOCodeInvalidToken = "InvalidToken"
	SSOCodeAccessDenied = "AccessDenied"

	// Defaults (the real lifetimes are not documented in code).
	DefaultSSOInterval         = 5 * time.Second
	DefaultSSODeviceCodeTTL    = 10 * time.Minute
	DefaultSSOAccessTokenTTL   = 8 * time.Hour
	DefaultSSOCredentialTTL    = time.Hour
	ssoSlowDownStep            = 5 * time.Second
	ssoMaxPageSize             = 100
	ssoDefaultUserName         = "sso-user@example.com"
	ssoTokenBytes              = 48
	ssoPollTolerance           = 50 * time.Millisecond
	ssoPendingDeviceRetention  = time.Hour
	ssoCodeChallengeLen        = 43 // base64url without padding of 32 bytes
	ssoUserCodeAlphabet        = "BCDFGHJKLMNPQRSTVWXZ"
	ssoAccessConfigIDMaxLength = 64
)

// CloudSSO is the emulated CloudSSO directory of one signed-in user: the
// access configurations assigned to them in each account.
type CloudSSO struct {
	// UserName is the user's name; it becomes the RoleSessionName of the
	// STS sessions (default sso-user@example.com).
	UserName    string          `json:"userName,omitempty"`
	Assignments []SSOAssignment `json:"assignments"`
}

// SSOAssignment gives the user an access configuration in an account. The
// STS credentials are a session of RoleName in AccountID (CloudSSO
// provisions such a role, AliyunReservedSSO-<name>, in each account), so
// role hops on top trust acs:ram::<account>:role/<RoleName>.
type SSOAssignment struct {
	AccountID   string `json:"accountId"`
	AccountName string `json:"accountName,omitempty"`
	// AccessConfigurationID looks like ac-0123abcd.
	AccessConfigurationID   string `json:"accessConfigurationId"`
	AccessConfigurationName string `json:"accessConfigurationName"`
	Description             string `json:"description,omitempty"`
	RoleName                string `json:"roleName"`
}

func (c *CloudSSO) validate(w *World) error {
	if c == nil {
		return nil
	}
	seen := map[string]bool{}
	for i, a := range c.Assignments {
		where := fmt.Sprintf("cloudSso.assignments[%d]", i)
		var acct *Account
		for ai := range w.Accounts {
			if w.Accounts[ai].ID == a.AccountID {
				acct = &w.Accounts[ai]
			}
		}
		if acct == nil {
			return fmt.Errorf("%s: account %q is not in the world", where, a.AccountID)
		}
		if !validAccessConfigID(a.AccessConfigurationID) {
			return fmt.Errorf("%s: accessConfigurationId must look like ac-<lower-case letters and digits>", where)
		}
		if a.AccessConfigurationName == "" {
			return fmt.Errorf("%s: accessConfigurationName is empty", where)
		}
		found := false
		for _, r := range acct.Roles {
			found = found || strings.EqualFold(r.Name, a.RoleName)
		}
		if !found {
			return fmt.Errorf("%s: role %q does not exist in account %s", where, a.RoleName, a.AccountID)
		}
		k := a.AccountID + "/" + a.AccessConfigurationID
		if seen[k] {
			return fmt.Errorf("%s: duplicate assignment %s", where, k)
		}
		seen[k] = true
	}
	return nil
}

// validAccessConfigID accepts ac-<1-64 of [a-z0-9]>.
func validAccessConfigID(id string) bool {
	rest, ok := strings.CutPrefix(id, "ac-")
	if !ok || rest == "" || len(rest) > ssoAccessConfigIDMaxLength {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (c *CloudSSO) clone() *CloudSSO {
	if c == nil {
		return nil
	}
	n := *c
	n.Assignments = append([]SSOAssignment(nil), c.Assignments...)
	return &n
}

// SSOOptions tunes the emulated portal; zero values pick the defaults.
type SSOOptions struct {
	// Interval is the polling interval the device authorization announces.
	Interval time.Duration
	// DeviceCodeTTL is how long a device code can be approved and polled.
	DeviceCodeTTL time.Duration
	// AccessTokenTTL is the access token lifetime (ExpiresIn).
	AccessTokenTTL time.Duration
	// CredentialTTL is the lifetime of /cloud-credentials sessions.
	CredentialTTL time.Duration
	// PageSize caps list pages below MaxResults, to exercise paging.
	PageSize int
	// EnforceInterval answers SlowDown to a poll that comes sooner than the
	// interval (and adds 5 s to it, as RFC 8628 says).
	EnforceInterval bool
}

func (o SSOOptions) withDefaults() SSOOptions {
	if o.Interval <= 0 {
		o.Interval = DefaultSSOInterval
	}
	if o.DeviceCodeTTL <= 0 {
		o.DeviceCodeTTL = DefaultSSODeviceCodeTTL
	}
	if o.AccessTokenTTL <= 0 {
		o.AccessTokenTTL = DefaultSSOAccessTokenTTL
	}
	if o.CredentialTTL <= 0 {
		o.CredentialTTL = DefaultSSOCredentialTTL
	}
	if o.PageSize <= 0 || o.PageSize > ssoMaxPageSize {
		o.PageSize = ssoMaxPageSize
	}
	return o
}

// ssoDevice is one device authorization. Guarded by Server.mu.
type ssoDevice struct {
	userCode, challenge, clientID, portalURL string
	expires                                  time.Time
	interval                                 time.Duration
	lastPoll                                 time.Time
	approved, spent                          bool
}

type ssoState struct {
	opts      SSOOptions
	devices   map[string]*ssoDevice // by DeviceCode
	userCodes map[string]string     // UserCode -> DeviceCode
	tokens    map[string]time.Time  // AccessToken -> expiry
	// issued and verifiers remember every access token handed out and
	// every code verifier received, for tests that look for them where
	// they must not be.
	issued, verifiers []string
}

func newSSOState(o SSOOptions) ssoState {
	return ssoState{opts: o.withDefaults(), devices: map[string]*ssoDevice{}, userCodes: map[string]string{}, tokens: map[string]time.Time{}}
}

// ssoError is the portal's error body: {"ErrorCode","ErrorMessage","RequestId"}.
type ssoError struct {
	status        int
	code, message string
}

func (e *ssoError) Error() string { return e.code + ": " + e.message }

func newSSOError(status int, code, msg string) *ssoError {
	return &ssoError{status: status, code: code, message: msg}
}

type ssoErrorBody struct {
	ErrorCode    string `json:"ErrorCode"`
	ErrorMessage string `json:"ErrorMessage"`
	RequestID    string `json:"RequestId"`
}

func isSSOPath(p string) bool {
	switch p {
	case ssoDeviceAuthPath, ssoTokenPath, ssoAccountsPath, ssoConfigsPath, ssoCredsPath, ssoDevicePagePath, SSOApprovePath:
		return true
	}
	return false
}

// handleCloudSSO serves the portal paths.
func (s *Server) handleCloudSSO(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	rid := s.requestID()
	call, fx := s.beginCall(ssoAction(r.URL.Path))
	defer s.logCallSince(&call, started)
	if s.playFaults(w, r, &call, fx) {
		return
	}
	var (
		resp any
		serr *ssoError
	)
	if fx.malformed {
		s.answerMalformed(w, rid, &call, fx)
		return
	}
	if fx.status != 0 {
		code := fx.code
		if code == "" {
			code = defaultCodeForStatus(fx.status)
		}
		serr = newSSOError(fx.status, code, fx.message)
	} else {
		resp, serr = s.cloudSSO(r, rid, &call)
	}
	if serr != nil {
		s.answerError(w, rid, &call, serr.status, serr.code, ssoErrorBody{ErrorCode: serr.code, ErrorMessage: serr.message, RequestID: rid})
		return
	}
	if page, ok := resp.(htmlPage); ok {
		call.Status, call.Success = http.StatusOK, !fx.truncate
		s.record(call)
		writeRaw(w, rid, http.StatusOK, "text/html; charset=utf-8", []byte(page))
		return
	}
	switch a := resp.(type) {
	case ssoCredsResponse:
		c := &a.CloudCredential
		shapeCredentials(fx, &c.AccessKeyID, &c.AccessKeySecret, &c.SecurityToken, &c.Expiration)
		resp = a
	case ssoTokenResponse:
		shapeToken(fx, &a.AccessToken)
		resp = a
	}
	s.answerJSON(w, rid, &call, resp, fx)
}

type htmlPage string

func ssoAction(path string) string {
	switch path {
	case ssoDeviceAuthPath:
		return ActionSSODeviceAuthorization
	case ssoTokenPath:
		return ActionSSOToken
	case ssoAccountsPath:
		return ActionSSOListAccounts
	case ssoConfigsPath:
		return ActionSSOListAccessConfigs
	case ssoCredsPath:
		return ActionSSOCloudCredentials
	case SSOApprovePath:
		return ActionSSOApprove
	}
	return "CloudSSO.DevicePage"
}

func (s *Server) cloudSSO(r *http.Request, rid string, call *Call) (any, *ssoError) {
	s.mu.Lock()
	enabled := s.world.CloudSSO != nil
	s.mu.Unlock()
	if !enabled {
		return nil, newSSOError(http.StatusNotFound, "NotFound", "This emulator has no CloudSSO directory (add cloudSso to the world).")
	}
	post := func() *ssoError {
		if r.Method != http.MethodPost {
			return newSSOError(http.StatusMethodNotAllowed, "MethodNotAllowed", "Use POST.")
		}
		return nil
	}
	get := func() *ssoError {
		if r.Method != http.MethodGet {
			return newSSOError(http.StatusMethodNotAllowed, "MethodNotAllowed", "Use GET.")
		}
		return nil
	}
	switch r.URL.Path {
	case ssoDeviceAuthPath:
		if e := post(); e != nil {
			return nil, e
		}
		return s.ssoDeviceAuthorization(r)
	case ssoTokenPath:
		if e := post(); e != nil {
			return nil, e
		}
		return s.ssoToken(r)
	case ssoAccountsPath:
		if e := get(); e != nil {
			return nil, e
		}
		return s.ssoListAccounts(r, rid)
	case ssoConfigsPath:
		if e := get(); e != nil {
			return nil, e
		}
		return s.ssoListConfigs(r, rid)
	case ssoCredsPath:
		if e := post(); e != nil {
			return nil, e
		}
		return s.ssoCloudCredentials(r, rid, call)
	case SSOApprovePath:
		if e := post(); e != nil {
			return nil, e
		}
		if err := r.ParseForm(); err != nil {
			return nil, newSSOError(http.StatusBadRequest, "InvalidParameter", "The form is malformed.")
		}
		if err := s.ApproveSSO(r.Form.Get("user_code")); err != nil {
			return nil, newSSOError(http.StatusBadRequest, "InvalidUserCode", err.Error())
		}
		return map[string]string{"RequestId": rid, "Status": "Approved"}, nil
	default: // the verification page a browser opens
		code := r.URL.Query().Get("user_code")
		return htmlPage("<!doctype html><title>CloudSSO emulator</title><p>Emulated CloudSSO sign-in for user code " +
			htmlEscape(code) + ".</p><form method=post action=\"" + SSOApprovePath + "\"><input type=hidden name=user_code value=\"" +
			htmlEscape(code) + "\"><button>Allow</button></form>\n"), nil
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;").Replace(s)
}

// decodeJSONBody reads a JSON object body of at most maxBodyBytes, with
// Content-Type application/json as the CLI and credentials-go send.
func decodeJSONBody(r *http.Request, v any) *ssoError {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		return newSSOError(http.StatusBadRequest, "InvalidParameter", "Content-Type must be application/json.")
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil || len(body) > maxBodyBytes {
		return newSSOError(http.StatusBadRequest, "InvalidParameter", "The request body could not be read.")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return newSSOError(http.StatusBadRequest, "InvalidParameter", "The request body is not a JSON object of the expected shape.")
	}
	return nil
}

func missingSSO(name string) *ssoError {
	return newSSOError(http.StatusBadRequest, "MissingParameter", "The parameter "+name+" is missing.")
}

type ssoDeviceAuthRequest struct {
	PortalURL           string `json:"PortalUrl"`
	CodeChallenge       string `json:"CodeChallenge"`
	ClientID            string `json:"ClientId"`
	CodeChallengeMethod string `json:"CodeChallengeMethod"`
}

type ssoDeviceAuthResponse struct {
	DeviceCode              string `json:"DeviceCode"`
	UserCode                string `json:"UserCode"`
	VerificationURI         string `json:"VerificationUri"`
	VerificationURIComplete string `json:"VerificationUriComplete"`
	Interval                int    `json:"Interval"`
	RequestID               string `json:"RequestId"`
}

func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (s *Server) ssoDeviceAuthorization(r *http.Request) (any, *ssoError) {
	var req ssoDeviceAuthRequest
	if e := decodeJSONBody(r, &req); e != nil {
		return nil, e
	}
	switch {
	case req.ClientID == "":
		return nil, missingSSO("ClientId")
	case req.PortalURL == "":
		return nil, missingSSO("PortalUrl")
	case req.CodeChallenge == "":
		return nil, missingSSO("CodeChallenge")
	case req.CodeChallengeMethod != "S256":
		return nil, newSSOError(http.StatusBadRequest, "InvalidParameter", "CodeChallengeMethod must be S256.")
	case len(req.CodeChallenge) != ssoCodeChallengeLen || !isBase64URL(req.CodeChallenge):
		return nil, newSSOError(http.StatusBadRequest, "InvalidParameter", "CodeChallenge must be the unpadded base64url SHA-256 of the code verifier.")
	}
	// The portal URL is the sign-in URL the user was given; it must be
	// on this host.
	pu, err := url.Parse(req.PortalURL)
	if err != nil || pu.Host != r.Host || (pu.Scheme != "https" && pu.Scheme != "http") {
		return nil, newSSOError(http.StatusBadRequest, "InvalidParameter", "PortalUrl is not a sign-in URL of this portal.")
	}
	deviceCode, err := s.randString(40)
	if err != nil {
		return nil, newSSOError(http.StatusInternalServerError, "InternalError", "no randomness")
	}
	raw, err := s.randBytes(8)
	if err != nil {
		return nil, newSSOError(http.StatusInternalServerError, "InternalError", "no randomness")
	}
	uc := make([]byte, 0, 9)
	for i, b := range raw {
		if i == 4 {
			uc = append(uc, '-')
		}
		uc = append(uc, ssoUserCodeAlphabet[int(b)%len(ssoUserCodeAlphabet)])
	}
	userCode := string(uc)
	now := s.clock()
	s.mu.Lock()
	st := &s.sso
	for dc, d := range st.devices {
		if now.Sub(d.expires) > ssoPendingDeviceRetention {
			delete(st.devices, dc)
			delete(st.userCodes, d.userCode)
		}
	}
	st.devices[deviceCode] = &ssoDevice{
		userCode: userCode, challenge: req.CodeChallenge, clientID: req.ClientID, portalURL: req.PortalURL,
		expires: now.Add(st.opts.DeviceCodeTTL), interval: st.opts.Interval,
	}
	st.userCodes[userCode] = deviceCode
	interval := st.opts.Interval
	s.mu.Unlock()
	base := requestBase(r)
	return ssoDeviceAuthResponse{
		DeviceCode:              deviceCode,
		UserCode:                userCode,
		VerificationURI:         base + ssoDevicePagePath,
		VerificationURIComplete: base + ssoDevicePagePath + "?user_code=" + url.QueryEscape(userCode),
		Interval:                int(interval / time.Second),
		RequestID:               s.requestID(),
	}, nil
}

func isBase64URL(v string) bool {
	_, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil
}

type ssoTokenRequest struct {
	CodeVerifier string `json:"CodeVerifier"`
	ClientID     string `json:"ClientId"`
	DeviceCode   string `json:"DeviceCode"`
	GrantType    string `json:"GrantType"`
}

type ssoTokenResponse struct {
	AccessToken string `json:"AccessToken"`
	ExpiresIn   int64  `json:"ExpiresIn"`
	RequestID   string `json:"RequestId"`
}

func (s *Server) ssoToken(r *http.Request) (any, *ssoError) {
	var req ssoTokenRequest
	if e := decodeJSONBody(r, &req); e != nil {
		return nil, e
	}
	switch {
	case req.GrantType != ssoGrantDeviceCode:
		return nil, newSSOError(http.StatusBadRequest, "InvalidParameter", "GrantType must be "+ssoGrantDeviceCode+".")
	case req.DeviceCode == "":
		return nil, missingSSO("DeviceCode")
	case req.CodeVerifier == "":
		return nil, missingSSO("CodeVerifier")
	}
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	st := &s.sso
	d, ok := st.devices[req.DeviceCode]
	if !ok || d.spent || !now.Before(d.expires) {
		return nil, newSSOError(http.StatusBadRequest, SSOCodeInvalidCode, "The device code is invalid or the request has expired.")
	}
	if req.ClientID != d.clientID {
		return nil, newSSOError(http.StatusBadRequest, "InvalidClient", "ClientId does not match the device authorization.")
	}
	if st.opts.EnforceInterval && !d.lastPoll.IsZero() && now.Sub(d.lastPoll) < d.interval-ssoPollTolerance {
		d.interval += ssoSlowDownStep
		d.lastPoll = now
		return nil, newSSOError(http.StatusBadRequest, SSOCodeSlowDown, fmt.Sprintf("Polling too fast; wait at least %d seconds between requests.", int(d.interval/time.Second)))
	}
	d.lastPoll = now
	if len(st.verifiers) < 1000 && (len(st.verifiers) == 0 || st.verifiers[len(st.verifiers)-1] != req.CodeVerifier) {
		st.verifiers = append(st.verifiers, req.CodeVerifier)
	}
	if !d.approved {
		return nil, newSSOError(http.StatusBadRequest, SSOCodePending, "The user has not yet approved the authorization request.")
	}
	sum := sha256.Sum256([]byte(req.CodeVerifier))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(d.challenge)) != 1 {
		return nil, newSSOError(http.StatusBadRequest, "InvalidCodeVerifier", "The code verifier does not match the code challenge.")
	}
	// randBytes takes randMu under mu; nothing takes them the other way round.
	tok, err := s.ssoAccessToken()
	if err != nil {
		return nil, newSSOError(http.StatusInternalServerError, "InternalError", "no randomness")
	}
	d.spent = true
	for t, exp := range st.tokens {
		if now.Sub(exp) > sessionRetention {
			delete(st.tokens, t)
		}
	}
	st.tokens[tok] = now.Add(st.opts.AccessTokenTTL)
	st.issued = append(st.issued, tok)
	return ssoTokenResponse{AccessToken: tok, ExpiresIn: int64(st.opts.AccessTokenTTL / time.Second), RequestID: s.requestID()}, nil
}

// ssoAccessToken makes an opaque access token.
func (s *Server) ssoAccessToken() (string, error) {
	b, err := s.randBytes(ssoTokenBytes)
	if err != nil {
		return "", err
	}
	return "ssot." + base64.RawURLEncoding.EncodeToString(b), nil
}

// ssoBearer checks the Authorization header. Callers do not hold s.mu.
func (s *Server) ssoBearer(r *http.Request) *ssoError {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, known := s.sso.tokens[tok]
	if !ok || tok == "" || !known {
		return newSSOError(http.StatusUnauthorized, SSOCodeInvalidToken, "The access token is invalid.")
	}
	if !now.Before(exp) {
		return newSSOError(http.StatusUnauthorized, SSOCodeInvalidToken, "The access token is expired.")
	}
	return nil
}

type ssoAccount struct {
	AccountID   string `json:"AccountId"`
	DisplayName string `json:"DisplayName"`
}

type ssoAccountsResponse struct {
	Accounts    []ssoAccount `json:"Accounts"`
	IsTruncated bool         `json:"IsTruncated"`
	NextToken   string       `json:"NextToken,omitempty"`
	RequestID   string       `json:"RequestId"`
}

type ssoAccessConfig struct {
	AccessConfigurationID          string `json:"AccessConfigurationId"`
	AccessConfigurationName        string `json:"AccessConfigurationName"`
	AccessConfigurationDescription string `json:"AccessConfigurationDescription"`
}

type ssoConfigsResponse struct {
	AccessConfigurationsForAccount []ssoAccessConfig `json:"AccessConfigurationsForAccount"`
	IsTruncated                    bool              `json:"IsTruncated"`
	NextToken                      string            `json:"NextToken,omitempty"`
	RequestID                      string            `json:"RequestId"`
}

// page returns the window [start, end) for NextToken/MaxResults and the
// next token ("" at the end).
func (s *Server) page(q url.Values, n int) (int, int, string, *ssoError) {
	start := 0
	if t := q.Get("NextToken"); t != "" {
		v, err := strconv.Atoi(strings.TrimPrefix(t, "nt-"))
		if err != nil || !strings.HasPrefix(t, "nt-") || v < 0 || v > n {
			return 0, 0, "", newSSOError(http.StatusBadRequest, "InvalidParameter.NextToken", "The NextToken is invalid.")
		}
		start = v
	}
	size := s.sso.opts.PageSize
	if m := q.Get("MaxResults"); m != "" {
		v, err := strconv.Atoi(m)
		if err != nil || v < 1 || v > ssoMaxPageSize {
			return 0, 0, "", newSSOError(http.StatusBadRequest, "InvalidParameter.MaxResults", "MaxResults must be 1-100.")
		}
		size = min(size, v)
	}
	end := min(n, start+size)
	next := ""
	if end < n {
		next = "nt-" + strconv.Itoa(end)
	}
	return start, end, next, nil
}

func (s *Server) ssoListAccounts(r *http.Request, rid string) (any, *ssoError) {
	if e := s.ssoBearer(r); e != nil {
		return nil, e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var accts []ssoAccount
	seen := map[string]bool{}
	for _, a := range s.world.CloudSSO.Assignments {
		if !seen[a.AccountID] {
			seen[a.AccountID] = true
			name := a.AccountName
			if name == "" {
				name = "account-" + a.AccountID
			}
			accts = append(accts, ssoAccount{AccountID: a.AccountID, DisplayName: name})
		}
	}
	sort.Slice(accts, func(i, j int) bool { return accts[i].AccountID < accts[j].AccountID })
	start, end, next, e := s.page(r.URL.Query(), len(accts))
	if e != nil {
		return nil, e
	}
	return ssoAccountsResponse{Accounts: append([]ssoAccount{}, accts[start:end]...), IsTruncated: next != "", NextToken: next, RequestID: rid}, nil
}

func (s *Server) ssoListConfigs(r *http.Request, rid string) (any, *ssoError) {
	if e := s.ssoBearer(r); e != nil {
		return nil, e
	}
	q := r.URL.Query()
	acct := q.Get("AccountId")
	if acct == "" {
		return nil, missingSSO("AccountId")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var cfgs []ssoAccessConfig
	for _, a := range s.world.CloudSSO.Assignments {
		if a.AccountID == acct {
			cfgs = append(cfgs, ssoAccessConfig{AccessConfigurationID: a.AccessConfigurationID, AccessConfigurationName: a.AccessConfigurationName, AccessConfigurationDescription: a.Description})
		}
	}
	sort.Slice(cfgs, func(i, j int) bool { return cfgs[i].AccessConfigurationID < cfgs[j].AccessConfigurationID })
	start, end, next, e := s.page(q, len(cfgs))
	if e != nil {
		return nil, e
	}
	return ssoConfigsResponse{AccessConfigurationsForAccount: append([]ssoAccessConfig{}, cfgs[start:end]...), IsTruncated: next != "", NextToken: next, RequestID: rid}, nil
}

type ssoCredsRequest struct {
	AccountID             string `json:"AccountId"`
	AccessConfigurationID string `json:"AccessConfigurationId"`
}

type ssoCloudCredential struct {
	AccessKeyID     string `json:"AccessKeyId"`
	AccessKeySecret string `json:"AccessKeySecret"`
	SecurityToken   string `json:"SecurityToken"`
	Expiration      string `json:"Expiration"`
}

type ssoCredsResponse struct {
	CloudCredential ssoCloudCredential `json:"CloudCredential"`
	RequestID       string             `json:"RequestId"`
}

func (s *Server) ssoCloudCredentials(r *http.Request, rid string, call *Call) (any, *ssoError) {
	if e := s.ssoBearer(r); e != nil {
		return nil, e
	}
	var req ssoCredsRequest
	if e := decodeJSONBody(r, &req); e != nil {
		return nil, e
	}
	if req.AccountID == "" {
		return nil, missingSSO("AccountId")
	}
	if req.AccessConfigurationID == "" {
		return nil, missingSSO("AccessConfigurationId")
	}
	s.mu.Lock()
	var (
		role *Role
		user = s.world.CloudSSO.UserName
	)
	for _, a := range s.world.CloudSSO.Assignments {
		if a.AccountID == req.AccountID && a.AccessConfigurationID == req.AccessConfigurationID {
			if found := s.findRole(a.AccountID, a.RoleName); found != nil {
				cp := *found
				role = &cp
			}
		}
	}
	ttl := s.sso.opts.CredentialTTL
	s.mu.Unlock()
	if role == nil {
		return nil, newSSOError(http.StatusForbidden, SSOCodeAccessDenied, "The access configuration is not assigned to you in this account.")
	}
	if user == "" {
		user = ssoDefaultUserName
	}
	call.RoleArn = RoleARN(req.AccountID, role.Name)
	call.RoleSessionName = user
	if s.tokenLifetime > 0 {
		ttl = s.tokenLifetime
	}
	sess, err := s.newSession("", req.AccountID, *role, user, ttl)
	if err != nil {
		return nil, newSSOError(http.StatusInternalServerError, "InternalError", "could not issue credentials")
	}
	call.AccessKeyID = sess.akID
	return ssoCredsResponse{
		CloudCredential: ssoCloudCredential{AccessKeyID: sess.akID, AccessKeySecret: sess.secret, SecurityToken: sess.token, Expiration: sess.expires.UTC().Format(timestampLayout)},
		RequestID:       rid,
	}, nil
}

// ApproveSSO plays the user who opens the verification page, signs in and
// allows the request with userCode.
func (s *Server) ApproveSSO(userCode string) error {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	dc, ok := s.sso.userCodes[strings.ToUpper(strings.TrimSpace(userCode))]
	if !ok {
		return errors.New("unknown user code")
	}
	d := s.sso.devices[dc]
	if d.spent || !now.Before(d.expires) {
		return errors.New("the authorization request has expired")
	}
	d.approved = true
	return nil
}

// PendingSSOUserCodes lists the user codes of device authorizations that
// are neither approved nor expired, sorted.
func (s *Server) PendingSSOUserCodes() []string {
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, d := range s.sso.devices {
		if !d.approved && !d.spent && now.Before(d.expires) {
			out = append(out, d.userCode)
		}
	}
	sort.Strings(out)
	return out
}

// RevokeSSOTokens invalidates every access token issued so far (the
// portal then answers 401 InvalidToken) and returns how many there were.
func (s *Server) RevokeSSOTokens() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.sso.tokens)
	s.sso.tokens = map[string]time.Time{}
	return n
}

// SetSSOOptions replaces the portal settings (for tests and the
// standalone emulator); pending device codes keep their interval.
func (s *Server) SetSSOOptions(o SSOOptions) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sso.opts = o.withDefaults()
}

// SSOSecrets returns every access token issued and every code verifier
// received so far (tests check that none leaks).
func (s *Server) SSOSecrets() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append(append([]string(nil), s.sso.issued...), s.sso.verifiers...)
}

// Demo CloudSSO values: the access configuration the demo user is
// assigned in the demo account, and the role CloudSSO provisions for it.
const (
	DemoSSOAccessConfigID = "ac-demoadmin"
	DemoSSORoleName       = "AliyunReservedSSO-DemoAdmin"
)

// DemoSSOWorld is DemoWorld plus a CloudSSO directory and an OAuth user:
// the user is assigned DemoSSOAccessConfigID in the demo account, whose
// sessions demo-admin trusts, so sso -> demo-admin -> demo-prod chains
// work; OAuth exchanges yield sessions of the same role.
func DemoSSOWorld() *World {
	w := DemoWorld()
	a := &w.Accounts[0]
	a.Roles = append(a.Roles, Role{Name: DemoSSORoleName})
	for i := range a.Roles {
		if a.Roles[i].Name == "demo-admin" {
			a.Roles[i].Trust = append(a.Roles[i].Trust, Trust{Principal: RoleARN(DemoAccountID, DemoSSORoleName)})
		}
	}
	w.CloudSSO = &CloudSSO{Assignments: []SSOAssignment{{
		AccountID: DemoAccountID, AccountName: "demo", AccessConfigurationID: DemoSSOAccessConfigID,
		AccessConfigurationName: "DemoAdmin", RoleName: DemoSSORoleName,
	}}}
	// The OAuth user's exchanged credentials act as the same role.
	w.OAuth = &OAuth{AccountID: DemoAccountID, RoleName: DemoSSORoleName, UserName: "demo-oauth"}
	return w
}
