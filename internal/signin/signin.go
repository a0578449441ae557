// Package signin turns STS credentials into an Alibaba Cloud console sign-in
// URL (console sign-in federation: GetSigninToken, then a Login URL), and
// opens URLs in the user's browser.
//
// A sign-in URL logs its holder into the console: it is a secret. Nothing
// here logs it or puts it in an error.
package signin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/alirole/alirole/internal/creds"
	"github.com/alirole/alirole/internal/scrub"
	"github.com/alirole/alirole/internal/webapi"
)

// Federation endpoints and their consoles.
const (
	DefaultFederationURL       = "https://signin.aliyun.com/federation"
	InternationalFederationURL = "https://signin.alibabacloud.com/federation"
	DefaultDestination         = "https://console.aliyun.com/"
	InternationalDestination   = "https://home.console.alibabacloud.com/"
	// TokenLifetime is how long a SigninToken (and so a sign-in URL) stays
	// usable, once.
	TokenLifetime = 30 * time.Second
)

const (
	ticketType   = "mini"
	maxBodyBytes = 64 << 10
)

// Error is an error answer of the sign-in service. Its text never holds
// credentials or tokens.
type Error struct {
	Status    int
	Code      string
	Message   string
	RequestID string
}

func (e *Error) Error() string {
	msg := webapi.Describe(fmt.Sprintf("sign-in service: HTTP %d", e.Status), e.Code, e.Message, e.RequestID)
	switch {
	case e.Code == "" || e.Code == "MalformedResponse":
		msg += "; a proxy or gateway may have answered: check the sign-in url (--signin-url, ALIROLE_SIGNIN_URL)"
	case e.Status >= 500:
		msg += "; the sign-in service failed on its side: try again in a minute"
	}
	return msg
}

// Client talks to one federation endpoint.
type Client struct {
	// FederationURL is the https address of the endpoint; "" means
	// DefaultFederationURL. A bare origin gets the /federation path.
	FederationURL string
	// HTTP sends the requests; nil means a client with a 15 s timeout.
	// Redirects are never followed.
	HTTP *http.Client
	// Log gets debug steps (never secrets); nil discards.
	Log *slog.Logger
}

// Endpoint returns the validated federation URL.
func (c *Client) Endpoint() (*url.URL, error) {
	raw := c.FederationURL
	if raw == "" {
		raw = DefaultFederationURL
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("sign-in url %q is not an absolute url", raw)
	}
	// The AccessKey secret travels in the request: only TLS may carry it.
	if u.Scheme != "https" {
		return nil, fmt.Errorf("sign-in url %q must use https", raw)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("sign-in url %q must not carry user info, a query or a fragment", raw)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/federation"
	}
	return u, nil
}

func (c *Client) log() *slog.Logger {
	if c.Log == nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c.Log
}

func (c *Client) httpClient() *http.Client {
	base := c.HTTP
	if base == nil {
		base = &http.Client{Timeout: 15 * time.Second}
	}
	hc := *base
	// A redirect could move the request to another host; the answer we
	// want never is one.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

// SigninToken calls GetSigninToken with STS credentials. It POSTs the
// parameters as a form body, so that the secret and token are not part of
// a URL that proxies or server logs record; Alibaba Cloud documents the
// parameters as x-www-form-urlencoded but shows only GET examples, so when
// the service rejects the method or ignores the body it retries once with
// the parameters in the query (still over TLS).
func (c *Client) SigninToken(ctx context.Context, cr creds.Credentials) (string, error) {
	if !cr.IsSTS() {
		return "", errors.New("console sign-in needs STS credentials (a role session); these are a long-term AccessKey")
	}
	endpoint, err := c.Endpoint()
	if err != nil {
		return "", err
	}
	form := url.Values{
		"AccessKeyId":     {cr.AccessKeyID},
		"AccessKeySecret": {cr.AccessKeySecret},
		"SecurityToken":   {cr.SecurityToken},
		"TicketType":      {ticketType},
	}
	c.log().Debug("requesting a console sign-in token", "host", endpoint.Host, "key", cr.AccessKeyID, "method", http.MethodPost)
	tok, err := c.getSigninToken(ctx, endpoint, http.MethodPost, form, cr)
	var apiErr *Error
	if errors.As(err, &apiErr) && bodyIgnored(apiErr) {
		c.log().Debug("the sign-in service did not take a form body; retrying with a query", "status", apiErr.Status, "code", apiErr.Code)
		tok, err = c.getSigninToken(ctx, endpoint, http.MethodGet, form, cr)
	}
	if err != nil {
		return "", err
	}
	c.log().Debug("got a console sign-in token", "host", endpoint.Host)
	return tok, nil
}

// bodyIgnored reports an answer that means "this server wants the
// parameters in the query": a refused method, or a missing parameter that
// the form body did carry.
func bodyIgnored(e *Error) bool {
	switch {
	case e.Status == http.StatusMethodNotAllowed || e.Status == http.StatusNotImplemented:
		return true
	case strings.HasPrefix(e.Code, "MissingParameter."):
		switch strings.TrimPrefix(e.Code, "MissingParameter.") {
		case "AccessKeyId", "AccessKeySecret", "SecurityToken", "TicketType":
			return true
		}
	}
	return false
}

func (c *Client) getSigninToken(ctx context.Context, endpoint *url.URL, method string, form url.Values, cr creds.Credentials) (string, error) {
	u := *endpoint
	var body io.Reader
	if method == http.MethodPost {
		u.RawQuery = url.Values{"Action": {"GetSigninToken"}}.Encode()
		body = strings.NewReader(form.Encode())
	} else {
		q := url.Values{"Action": {"GetSigninToken"}}
		for k, v := range form {
			q[k] = v
		}
		u.RawQuery = q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return "", fmt.Errorf("build sign-in request: %w", sanitize(err, cr))
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return "", fmt.Errorf("get console sign-in token from %s: %w", endpoint.Host, sanitize(err, cr))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyBytes))
	if err != nil {
		return "", fmt.Errorf("read sign-in answer from %s: %w", endpoint.Host, sanitize(err, cr))
	}
	var out struct {
		RequestID   string `json:"RequestId"`
		SigninToken string `json:"SigninToken"`
		Code        string `json:"Code"`
		Message     string `json:"Message"`
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if jerr := json.Unmarshal(data, &out); jerr != nil {
		e := &Error{Status: resp.StatusCode, Message: "the answer is not JSON (content type " + strings.TrimSpace(mt) + ")"}
		if resp.StatusCode == http.StatusOK {
			e.Code = "MalformedResponse"
		}
		return "", e
	}
	if resp.StatusCode != http.StatusOK || out.SigninToken == "" {
		e := &Error{Status: resp.StatusCode, Code: scrubText(out.Code, cr), Message: scrubText(out.Message, cr), RequestID: scrubText(out.RequestID, cr)}
		if resp.StatusCode == http.StatusOK {
			e.Code, e.Message = "MalformedResponse", "the answer has no SigninToken"
		}
		return "", e
	}
	return out.SigninToken, nil
}

// LoginURL builds the URL that spends token and lands on destination.
// loginURL is where the console sends the user once the session ends; ""
// means the sign-in host's start page. destination must be a console
// address (IsConsoleURL).
func (c *Client) LoginURL(token, destination, loginURL string) (string, error) {
	endpoint, err := c.Endpoint()
	if err != nil {
		return "", err
	}
	if token == "" {
		return "", errors.New("build sign-in url: empty sign-in token")
	}
	if !IsConsoleURL(destination) {
		return "", fmt.Errorf("destination %q is not an Alibaba Cloud console address (https://*.console.aliyun.com or https://*.console.alibabacloud.com)", destination)
	}
	if loginURL == "" {
		loginURL = (&url.URL{Scheme: endpoint.Scheme, Host: endpoint.Host, Path: "/"}).String()
	}
	u := *endpoint
	u.RawQuery = url.Values{
		"Action":      {"Login"},
		"LoginUrl":    {loginURL},
		"Destination": {destination},
		"SigninToken": {token},
	}.Encode()
	c.log().Debug("built the console sign-in url", "host", endpoint.Host, "destination", destination)
	return u.String(), nil
}

// DefaultDestinationFor picks the console that matches a federation
// endpoint: the international one for signin.alibabacloud.com.
func DefaultDestinationFor(federationURL string) string {
	u, err := url.Parse(federationURL)
	if err == nil && strings.HasSuffix(strings.ToLower(u.Hostname()), "alibabacloud.com") {
		return InternationalDestination
	}
	return DefaultDestination
}

// consoleDomains are the console sites; their subdomains are consoles too.
var consoleDomains = []string{"console.aliyun.com", "console.alibabacloud.com"}

// IsConsoleURL reports whether u is an https address on an Alibaba Cloud
// console host, the only kind of Destination Login accepts.
func IsConsoleURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "https" || p.User != nil || p.Port() != "" {
		return false
	}
	host := strings.ToLower(p.Hostname())
	for _, d := range consoleDomains {
		if host == d || strings.HasSuffix(host, "."+d) {
			return true
		}
	}
	return false
}

// sanitize is the one way a transport error leaves this package: on the
// GET path its *url.Error holds the secret and token in the URL.
func sanitize(err error, cr creds.Credentials) error {
	return scrub.Error(err, cr.AccessKeySecret, cr.SecurityToken)
}

func scrubText(msg string, cr creds.Credentials) string {
	return scrub.Field(msg, cr.AccessKeySecret, cr.SecurityToken)
}
