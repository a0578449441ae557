package resolve

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"

	"github.com/alirole/alirole/internal/scrub"
)

// STSError is an error answer from STS, parsed from the body credentials-go
// puts into its error text.
type STSError struct {
	Code      string
	Message   string
	RequestID string
}

func (e *STSError) Error() string {
	msg := e.Code
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.RequestID != "" {
		msg += " (request id " + e.RequestID + ")"
	}
	return msg
}

// credentials-go reports a non-200 STS answer as this prefix plus the raw body.
const refreshFailedPrefix = "refresh session token failed: "

// parseSTSError extracts the STS error document from a credentials-go error,
// or returns nil when the error is not an STS answer.
func parseSTSError(err error) *STSError {
	text := err.Error()
	i := strings.Index(text, refreshFailedPrefix)
	if i < 0 {
		return nil
	}
	var doc struct {
		Code      string `json:"Code"`
		Message   string `json:"Message"`
		RequestID string `json:"RequestId"`
	}
	if json.Unmarshal([]byte(text[i+len(refreshFailedPrefix):]), &doc) != nil || doc.Code == "" {
		return nil
	}
	return &STSError{Code: doc.Code, Message: doc.Message, RequestID: doc.RequestID}
}

// retryable tells whether trying the same call again may succeed: throttling,
// server-side failures, broken or cut-off answers, and network trouble.
// Everything else (signature, permission, parameter errors) fails the same way
// every time, so retrying only delays the message.
func retryable(err error) bool {
	if err == nil {
		return false
	}
	if se := parseSTSError(err); se != nil {
		switch {
		case strings.HasPrefix(se.Code, "Throttling"),
			se.Code == "InternalError", se.Code == "ServiceUnavailable",
			se.Code == "SignatureNonceUsed":
			return true
		}
		return false
	}
	text := err.Error()
	switch {
	case strings.Contains(text, refreshFailedPrefix):
		// A non-JSON error body: a proxy or load balancer answered.
		return true
	case strings.Contains(text, "json.Unmarshal fail"), strings.Contains(text, "fail to get credentials"):
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED)
}

// cleanError rewrites a provider error so that it can be shown: transport
// errors carry the signed request URL (with the caller's security token and
// signature) and STS signature errors echo the string to sign, so neither is
// passed on verbatim, and answers that are not STS's JSON get a sentence
// instead of parser internals. Whatever text is kept goes through scrub
// (internal/scrub): URL queries, secret parameters, encoded copies of them
// and terminal control characters never pass.
func cleanError(err error) error {
	if se := parseSTSError(err); se != nil {
		// STS says "... calculation. server string to sign is:<it>".
		if i := strings.Index(strings.ToLower(se.Message), "string to sign"); i >= 0 {
			kept := strings.TrimRight(se.Message[:i], " :,.")
			if strings.HasSuffix(strings.ToLower(kept), " server") {
				kept = strings.TrimRight(kept[:len(kept)-len(" server")], " :,")
			}
			se.Message = kept
		}
		se.Code, se.Message, se.RequestID = scrub.Field(se.Code), scrub.Field(se.Message), scrub.Field(se.RequestID)
		return se
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		host := ""
		if u, perr := url.Parse(ue.URL); perr == nil {
			// Host is percent-decoded: keep a malformed one printable.
			host = strings.ToValidUTF8(u.Host, "\uFFFD")
		}
		msg := fmt.Sprintf("%s %s: %s", strings.ToLower(ue.Op), host, ue.Err)
		h := unreachableHint
		if strings.Contains(msg, "x509:") || strings.Contains(msg, "tls:") {
			h = "the TLS certificate of the STS endpoint is not trusted: check the endpoint, SSL_CERT_FILE, or a TLS-intercepting proxy"
		}
		return &cleanedError{msg: redactParams(msg), err: ue.Err, hint: h}
	}
	text := err.Error()
	switch {
	case strings.HasPrefix(text, refreshFailedPrefix):
		body := strings.TrimSpace(strings.TrimPrefix(text, refreshFailedPrefix))
		what := "something that is not an error document"
		if strings.HasPrefix(body, "<") {
			what = "an HTML page instead of an error document"
		}
		return &cleanedError{msg: "the service answered with " + what, err: errUnreadable, hint: proxyHint}
	case strings.Contains(text, "json.Unmarshal fail"):
		return &cleanedError{msg: "the answer (HTTP 200) is not JSON", err: errUnreadable, hint: proxyHint}
	case strings.Contains(text, "fail to get credentials"):
		return &cleanedError{msg: "the answer has no credentials in it", err: errUnreadable, hint: proxyHint}
	case strings.Contains(text, "failed to parse external command output"):
		// credentials-go printed the raw output (dropped by alirole's
		// stdout guard); it may hold secrets, so it is not repeated here.
		return &cleanedError{msg: "process_command did not print the credentials JSON the aliyun CLI's External mode expects ({\"mode\":\"AK\"|\"StsToken\",\"access_key_id\":...}); its output is not shown because it may hold secrets", err: err}
	}
	if clean := redactParams(text); clean != text {
		return &cleanedError{msg: clean, err: err}
	}
	return err
}

// errUnreadable marks an STS answer alirole could not use.
var errUnreadable = errors.New("unusable sts answer")

const (
	proxyHint       = "a proxy, gateway or captive portal may have answered instead of STS: check the STS endpoint (sts_endpoint, --sts-endpoint, ALIROLE_STS_ENDPOINT) and HTTPS_PROXY, then try again"
	unreachableHint = "STS could not be reached: check the network, HTTPS_PROXY and the STS endpoint (sts_endpoint, --sts-endpoint, ALIROLE_STS_ENDPOINT)"
)

// redactParams makes third-party text presentable: see internal/scrub.
func redactParams(text string) string { return scrub.Text(text) }

// cleanedError shows a redacted text but keeps the original cause for
// errors.Is/As (timeouts, connection resets); hint says what to do.
type cleanedError struct {
	msg  string
	err  error
	hint string
}

func (e *cleanedError) Error() string { return e.msg }
func (e *cleanedError) Unwrap() error { return e.err }

// hint says what the user can do about an STS error code.
func hint(code string, hop hopInfo) string {
	switch code {
	case "NoPermission":
		return fmt.Sprintf("the trust policy of role %s does not allow %s, or %s lacks AliyunSTSAssumeRoleAccess (or the external_id does not match the trust policy)",
			hop.roleArn, hop.caller, hop.caller)
	case "EntityNotExist.Role":
		return fmt.Sprintf("role %s does not exist: check ram_role_arn of profile %q", hop.roleArn, hop.profile)
	case "InvalidAccessKeyId.NotFound":
		return fmt.Sprintf("the AccessKey stored for profile %q was deleted or mistyped: run 'alirole add %s' to store a valid one", hop.rootProfile, hop.rootProfile)
	case "InvalidAccessKeyId.Inactive":
		return fmt.Sprintf("the AccessKey stored for profile %q is disabled in RAM: enable it or store another with 'alirole add %s'", hop.rootProfile, hop.rootProfile)
	case "SignatureDoesNotMatch":
		return fmt.Sprintf("the AccessKey secret stored for profile %q is wrong: run 'alirole add %s' again", hop.rootProfile, hop.rootProfile)
	case "InvalidTimeStamp.Expired":
		return "this machine's clock is off by more than 15 minutes: fix the system time"
	case "InvalidSecurityToken.Expired", "InvalidSecurityToken.Malformed", "InvalidSecurityToken.MismatchWithAccessKey", "MissingSecurityToken":
		return fmt.Sprintf("the session used to call STS is no longer valid: run 'alirole clear %s' and try again", hop.profile)
	case "InvalidParameter.DurationSeconds":
		return fmt.Sprintf("the duration of profile %q is outside 900 s .. the role's MaxSessionDuration: lower duration/expired_seconds or raise the role's maximum", hop.profile)
	case "InvalidParameter.RoleSessionName":
		return fmt.Sprintf("ram_session_name of profile %q must be 2-64 characters of letters, digits, '.', '@', '-', '_'", hop.profile)
	case "InvalidParameter.PolicySize", "InvalidParameter.PolicyGrammar":
		return fmt.Sprintf("the session policy of profile %q is too long or not a valid RAM policy", hop.profile)
	case "InvalidParameter.ExternalId":
		return fmt.Sprintf("external_id of profile %q is not a valid external id", hop.profile)
	case "InvalidParameter.RoleArn":
		return fmt.Sprintf("ram_role_arn of profile %q is not a valid role ARN", hop.profile)
	}
	switch code {
	case "InternalError", "ServiceUnavailable", "ServiceUnavailableTemporary", "ServiceTimeout":
		return "STS failed on its side: try again in a minute (alirole already retried)"
	}
	if strings.HasPrefix(code, "Throttling") {
		return "STS is throttling requests: wait a moment and try again"
	}
	return ""
}
