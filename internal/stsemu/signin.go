package stsemu

import (
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Console sign-in federation (signin.aliyun.com/federation): GetSigninToken
// trades STS credentials for a single-use SigninToken; Login spends it and
// redirects the browser to a console page. Neither is signed: the STS
// secret itself travels in the (x-www-form-urlencoded) parameters.
const (
	federationPath      = "/federation"
	signinHost          = "signin.aliyun.com"
	actionGetSigninTok  = "GetSigninToken"
	actionLogin         = "Login"
	SigninTokenLifetime = 30 * time.Second
	signinTicketType    = "mini"
)

var signinService = service{host: signinHost, product: "Signin"}

// signinToken is an issued SigninToken. Guarded by Server.mu.
type signinToken struct {
	callerARN string
	expires   time.Time
	used      bool
}

type signinTokenResponse struct {
	RequestID   string `json:"RequestId"`
	SigninToken string `json:"SigninToken"`
}

// consoleHosts are the console domains a Login may redirect to; any
// subdomain of them (ecs.console.aliyun.com) is one too.
var consoleHosts = []string{"console.aliyun.com", "console.alibabacloud.com"}

// IsConsoleURL reports whether u is an https address on an Alibaba Cloud
// console host, the only Destination Login redirects to.
func IsConsoleURL(u string) bool {
	parsed, err := url.Parse(u)
	if err != nil || parsed.Scheme != "https" || parsed.User != nil || parsed.Port() != "" {
		return false
	}
	host := strings.ToLower(parsed.Hostname())
	for _, h := range consoleHosts {
		if host == h || strings.HasSuffix(host, "."+h) {
			return true
		}
	}
	return false
}

func (s *Server) handleFederation(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	rid := s.requestID()
	params, perr := readParams(r)
	call, fx := s.beginCall(params["Action"])
	if call.Action == actionGetSigninTok {
		call.AccessKeyID = params["AccessKeyId"]
	}
	defer s.logCallSince(&call, started)
	if s.playFaults(w, r, &call, fx) {
		return
	}
	switch {
	case fx.status != 0:
		perr = newAPIError(fx.status, fx.code, fx.message)
	case perr == nil && r.Method != http.MethodGet && r.Method != http.MethodPost:
		perr = newAPIError(http.StatusBadRequest, "UnsupportedHTTPMethod", "This http method is not supported.")
	}
	var (
		resp     any
		location string
	)
	if perr == nil {
		resp, location, perr = s.federation(params, rid, &call)
	}
	switch {
	case perr != nil:
		perr.svc = signinService
		s.answerError(w, rid, &call, perr.Status, perr.Code, perr.body(rid))
	case location != "":
		w.Header().Set("X-Acs-Request-Id", rid)
		s.answerRedirect(w, &call, location)
	default:
		s.answerJSON(w, rid, &call, resp, effects{truncate: fx.truncate})
	}
}

func missingParameter(name string) *apiError {
	return newAPIError(http.StatusBadRequest, "MissingParameter."+name, "The parameter "+name+" is missing.")
}

func authenticateFail() *apiError {
	return newAPIError(http.StatusUnauthorized, "InvalidCredential.AuthenticateFail", "The credential you provided is invalid.")
}

// federation runs one action; a successful Login returns the redirect
// target instead of a body.
func (s *Server) federation(p map[string]string, rid string, call *Call) (any, string, *apiError) {
	switch p["Action"] {
	case "":
		return nil, "", missingParameter("Action")
	case actionGetSigninTok:
		resp, err := s.getSigninToken(p, rid, call)
		return resp, "", err
	case actionLogin:
		loc, err := s.login(p, call)
		return nil, loc, err
	default:
		return nil, "", newAPIError(http.StatusBadRequest, "InvalidAction", "The action "+p["Action"]+" is invalid.")
	}
}

func (s *Server) getSigninToken(p map[string]string, rid string, call *Call) (any, *apiError) {
	for _, name := range []string{"AccessKeyId", "AccessKeySecret", "SecurityToken", "TicketType"} {
		if p[name] == "" {
			return nil, missingParameter(name)
		}
	}
	if p["TicketType"] != signinTicketType {
		return nil, newAPIError(http.StatusBadRequest, "InvalidParameter.TicketType", "The parameter TicketType is invalid.")
	}
	tokenBytes, err := s.randBytes(48)
	if err != nil {
		return nil, newAPIError(http.StatusInternalServerError, "InternalError", "The request processing has failed due to some unknown error, exception or failure.")
	}
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	// Only a live STS session proves an identity here: a long-term key has
	// no session to federate.
	sess, ok := s.sessions[p["AccessKeyId"]]
	if !ok || subtle.ConstantTimeCompare([]byte(sess.secret), []byte(p["AccessKeySecret"])) != 1 ||
		subtle.ConstantTimeCompare([]byte(sess.token), []byte(p["SecurityToken"])) != 1 || !now.Before(sess.expires) {
		return nil, authenticateFail()
	}
	call.CallerARN = "acs:ram::" + sess.accountID + ":assumed-role/" + sess.roleName + "/" + sess.sessionName
	for tok, t := range s.signin {
		if now.After(t.expires) {
			delete(s.signin, tok)
		}
	}
	// The token cannot outlive the session it was made from.
	expires := now.Add(SigninTokenLifetime)
	if sess.expires.Before(expires) {
		expires = sess.expires
	}
	tok := base64.StdEncoding.EncodeToString(tokenBytes)
	s.signin[tok] = &signinToken{callerARN: call.CallerARN, expires: expires}
	return signinTokenResponse{RequestID: rid, SigninToken: tok}, nil
}

func (s *Server) login(p map[string]string, call *Call) (string, *apiError) {
	for _, name := range []string{"LoginUrl", "Destination", "SigninToken"} {
		if p[name] == "" {
			return "", missingParameter(name)
		}
	}
	if !IsConsoleURL(p["Destination"]) {
		return "", newAPIError(http.StatusBadRequest, "InvalidParameter.Destination", "The parameter Destination must be an Alibaba Cloud console address.")
	}
	if u, err := url.Parse(p["LoginUrl"]); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", newAPIError(http.StatusBadRequest, "InvalidParameter.LoginUrl", "The parameter LoginUrl is invalid.")
	}
	now := s.clock()
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.signin[p["SigninToken"]]
	if !ok || t.used || !now.Before(t.expires) {
		return "", authenticateFail()
	}
	t.used = true
	call.CallerARN = t.callerARN
	return p["Destination"], nil
}
