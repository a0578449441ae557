package resolve

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/alirole/alirole/internal/httpguard"
	"github.com/alirole/alirole/internal/scrub"
)

// SignInError is a failed CloudSSO /cloud-credentials or OAuth /v1/exchange
// call of a sign-in root, told as a sentence with what to do, as HopError
// does for STS.
type SignInError struct {
	Profile string
	Msg     string
	Hint    string
	Err     error
}

func (e *SignInError) Error() string {
	msg := fmt.Sprintf("profile %q: %s", e.Profile, e.Msg)
	if e.Hint != "" {
		msg += "\n  what to do: " + e.Hint
	}
	return msg
}

func (e *SignInError) Unwrap() error { return e.Err }

// signInService says how a sign-in service's failures read.
type signInService struct {
	name    string // "the CloudSSO portal", "OAuth"
	prefix  string // credentials-go's text before a non-200 body
	login   string // the command that signs in again
	check   string // the settings that point at the service
	denied  func(code, msg string) (string, string)
	refused []string // codes for a refused (expired, revoked) access token
}

// portalError is the error body of either service: CloudSSO sends
// {"ErrorCode","ErrorMessage","RequestId"} (aliyun-cli cloudsso/*.go),
// OAuth {"error","error_description","requestId"} (the same as the
// emulator; encoding/json matches the keys case-insensitively).
type portalError struct {
	ErrorCode        string `json:"ErrorCode"`
	ErrorMessage     string `json:"ErrorMessage"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	Code             string `json:"Code"`
	Message          string `json:"Message"`
	RequestID        string `json:"RequestId"`
}

// parsePortalError reads the body credentials-go put after prefix; ok is
// false when there is none or it is not an error document (then body is
// what followed the prefix, for telling an HTML page apart).
func parsePortalError(text, prefix string) (code, msg, rid, body string, found, ok bool) {
	i := strings.Index(text, prefix)
	if i < 0 {
		return "", "", "", "", false, false
	}
	body = strings.TrimSpace(text[i+len(prefix):])
	var d portalError
	if json.Unmarshal([]byte(body), &d) != nil {
		return "", "", "", body, true, false
	}
	code, msg = d.ErrorCode, d.ErrorMessage
	if code == "" {
		code, msg = d.Error, d.ErrorDescription
	}
	if code == "" {
		code, msg = d.Code, d.Message
	}
	if code == "" {
		return "", "", "", body, true, false
	}
	return code, msg, d.RequestID, body, true, true
}

// describe renders a failure: cleaned codes and messages only (scrub), with
// the access token treated as a secret even where a server echoed it.
func (svc signInService) failure(profile string, err error, secrets ...string) error {
	var se *SignInError
	if errors.As(err, &se) {
		return err
	}
	text := err.Error()
	mk := func(msg, hint string, cause error) error {
		return &SignInError{Profile: profile, Msg: scrub.Text(msg, secrets...), Hint: hint, Err: cause}
	}
	hostile := "this is not an answer " + svc.name + " gives: check " + svc.check + " and any proxy in between; nothing was cached"
	proxy := "a proxy, gateway or captive portal may have answered instead of " + svc.name + ": check " + svc.check + " and HTTPS_PROXY, then try again"
	if httpguard.IsTooLarge(err) {
		return mk(svc.name+" sent an answer larger than "+fmt.Sprint(httpguard.MaxAnswerBytes>>10)+" KiB, far more than any credentials answer", hostile, errUnreadable)
	}
	var ae *answerError
	if errors.As(err, &ae) {
		return mk(svc.name+" returned unusable credentials: "+ae.Error(), hostile, errUnreadable)
	}
	if code, msg, rid, body, found, ok := parsePortalError(text, svc.prefix); found {
		if !ok {
			what := "something that is not an error document"
			if strings.HasPrefix(body, "<") {
				what = "an HTML page instead of an error document"
			}
			return mk(svc.name+" answered with "+what, proxy, errUnreadable)
		}
		return svc.coded(profile, scrub.Field(code, secrets...), scrub.Field(msg, secrets...), scrub.Field(rid, secrets...))
	}
	switch {
	case strings.Contains(text, "json.Unmarshal fail"):
		return mk("the answer of "+svc.name+" (HTTP 200) is not JSON", proxy, errUnreadable)
	case strings.Contains(text, "fail to get credentials"):
		// OAuth's text quotes the whole answer: not repeated.
		return mk("the answer of "+svc.name+" has no credentials in it", hostile, errUnreadable)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		clean := cleanError(err)
		h := svc.name + " could not be reached: check the network, HTTPS_PROXY and " + svc.check
		if m := clean.Error(); strings.Contains(m, "x509:") || strings.Contains(m, "tls:") {
			h = "the TLS certificate of " + svc.name + " is not trusted: check " + svc.check + ", SSL_CERT_FILE, or a TLS-intercepting proxy"
		}
		return mk(clean.Error(), h, clean)
	}
	clean := cleanError(err)
	return mk(clean.Error(), "try again; if it keeps failing, sign in again with '"+svc.login+"'", clean)
}

// coded tells a service's error code in words.
func (svc signInService) coded(profile, code, msg, rid string) error {
	said := code
	if msg != "" {
		said += ": " + msg
	}
	if rid != "" {
		said += " (request id " + rid + ")"
	}
	se := &SignInError{Profile: profile, Err: &STSError{Code: code, Message: msg, RequestID: rid}}
	lc := strings.ToLower(code)
	switch {
	case containsFold(svc.refused, code):
		se.Msg = svc.name + " refused the access token (" + said + "): the sign-in has expired or was revoked"
		se.Hint = "sign in again with '" + svc.login + "'"
	case lc == "internalerror" || lc == "server_error" || lc == "temporarily_unavailable" ||
		strings.HasPrefix(lc, "serviceunavailable") || strings.HasPrefix(lc, "throttling"):
		se.Msg = svc.name + " failed on its side (" + said + ")"
		se.Hint = "try again in a minute"
	default:
		if m, h := svc.denied(code, said); m != "" {
			se.Msg, se.Hint = m, h
			break
		}
		se.Msg = svc.name + " refused the request (" + said + ")"
		se.Hint = "sign in again with '" + svc.login + "'; if that does not help, check " + svc.check
	}
	return se
}

func containsFold(list []string, v string) bool {
	for _, s := range list {
		if strings.EqualFold(s, v) {
			return true
		}
	}
	return false
}

// ssoService is how CloudSSO failures of profile p read.
func (n *ssoNode) service() signInService {
	p := n.prof
	return signInService{
		name:    "the CloudSSO portal",
		prefix:  "get session token from sso failed: ",
		login:   "alirole sso login --force " + p.Name,
		check:   fmt.Sprintf("cloud_sso_sign_in_url of profile %q (%s)", p.Name, p.CloudSSOSignInURL),
		refused: []string{"InvalidToken", "ExpiredToken", "InvalidAccessToken"},
		denied: func(code, said string) (string, string) {
			lc := strings.ToLower(code)
			if lc == "accessdenied" || lc == "forbidden" || lc == "nopermission" || strings.Contains(lc, "notexist") ||
				strings.Contains(lc, "notfound") || strings.HasPrefix(lc, "invalidparameter") || strings.Contains(lc, "accessconfiguration") ||
				strings.Contains(lc, "account") {
				return fmt.Sprintf("the CloudSSO portal gave no credentials for access configuration %s in account %s (%s): it is not assigned to you there, or does not exist",
						p.CloudSSOAccessConfig, p.CloudSSOAccountID, said),
					fmt.Sprintf("check cloud_sso_account_id and cloud_sso_access_config of profile %q: 'alirole sso populate --sign-in-url %s' lists what is assigned to you (and writes a profile for each)", p.Name, p.CloudSSOSignInURL)
			}
			return "", ""
		},
	}
}

// service is how OAuth failures of the profile read.
func (n *oauthNode) service() signInService {
	p := n.prof
	return signInService{
		name:    "the OAuth service",
		prefix:  "get session token from OAuth failed: ",
		login:   "alirole oauth login " + p.Name,
		check:   fmt.Sprintf("oauth_site_type of profile %q (%s; ALIROLE_OAUTH_URL if set)", p.Name, p.OAuthSiteType),
		refused: []string{"invalid_token", "expired_token", "InvalidToken", "invalid_grant"},
		denied: func(code, said string) (string, string) {
			lc := strings.ToLower(code)
			if lc == "access_denied" || lc == "accessdenied" || lc == "forbidden" || lc == "nopermission" || lc == "unauthorized_client" || lc == "insufficient_scope" {
				return "the OAuth service did not exchange the sign-in for credentials (" + said + "): the signed-in user may not be allowed to use the aliyun CLI application",
					fmt.Sprintf("sign in again with 'alirole oauth login %s' as a user who may, or ask an administrator to grant it", p.Name)
			}
			return "", ""
		},
	}
}

// answerError is an answer checkAnswer refused.
type answerError struct{ err error }

func (e *answerError) Error() string { return e.err.Error() }
func (e *answerError) Unwrap() error { return e.err }
