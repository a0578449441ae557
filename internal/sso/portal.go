// Package sso signs in to the CloudSSO user portal with the device
// authorization flow (PKCE S256), keeps the access token in the keychain
// and shares one sign-in among every alirole process that needs it.
//
// The portal calls are the ones the aliyun CLI makes (aliyun-cli
// cloudsso/login.go startDeviceAuthorization, createAccessToken;
// cloudsso/user.go; cloudsso/access_configurations.go): plain JSON to the
// sign-in URL's scheme and host. The STS step (/cloud-credentials) is left
// to credentials-go's CloudSSO provider (resolve).
package sso

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/alirole/alirole/internal/httpguard"
	"github.com/alirole/alirole/internal/webapi"
)

// DefaultClientID is the aliyun CLI's CloudSSO client id (aliyun-cli
// cloudsso/login.go getClientId); ALIBABACLOUD_SSO_CLIENT_ID or
// ALIBABA_CLOUD_SSO_CLIENT_ID override it there and here.
const DefaultClientID = "app-vaz16tltdxs96audqf35"

// ClientID returns the client id the environment selects.
func ClientID(getenv func(string) string) string {
	for _, k := range []string{"ALIBABACLOUD_SSO_CLIENT_ID", "ALIBABA_CLOUD_SSO_CLIENT_ID"} {
		if v := getenv(k); v != "" {
			return v
		}
	}
	return DefaultClientID
}

// Error codes the portal answers with.
const (
	CodePending      = "AuthorizationPending"
	CodeSlowDown     = "SlowDown"
	CodeExpired      = "InvalidDeviceCodeError"
	CodeInvalidToken = "InvalidToken"
)

// maxAnswer bounds what is read from the portal.
const maxAnswer = 1 << 20

// Portal talks to one CloudSSO user portal.
type Portal struct {
	// SignInURL is the user portal sign-in URL; calls go to its scheme and
	// host.
	SignInURL string
	ClientID  string
	HTTP      *http.Client
	UserAgent string
}

// PortalError is a non-2xx answer: {"ErrorCode","ErrorMessage","RequestId"}.
type PortalError struct {
	Status    int
	Code      string
	Message   string
	RequestID string
}

func (e *PortalError) Error() string {
	return webapi.Describe(fmt.Sprintf("CloudSSO portal answered %d", e.Status), e.Code, e.Message, e.RequestID)
}

// IsInvalidToken reports whether err is the portal refusing the access
// token (401, or the InvalidToken code).
func IsInvalidToken(err error) bool {
	var pe *PortalError
	return errors.As(err, &pe) && (pe.Status == http.StatusUnauthorized || pe.Code == CodeInvalidToken)
}

func (p *Portal) base() (string, error) {
	u, err := url.Parse(p.SignInURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "", fmt.Errorf("invalid CloudSSO sign-in URL %q", p.SignInURL)
	}
	return u.Scheme + "://" + u.Host, nil
}

// do sends one JSON request and decodes a 2xx answer into out. Errors name
// the path, never the token.
func (p *Portal) do(ctx context.Context, method, path, query, bearer string, body, out any) error {
	base, err := p.base()
	if err != nil {
		return err
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	target := base + path
	if query != "" {
		target += "?" + query
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return fmt.Errorf("CloudSSO %s: %w", path, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	if p.UserAgent != "" {
		req.Header.Set("User-Agent", p.UserAgent)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	// The URL holds nothing secret, but Do keeps messages short.
	resp, err := webapi.Do(p.HTTP, req)
	if err != nil {
		return fmt.Errorf("CloudSSO %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := webapi.ReadAnswer(resp.Body, maxAnswer)
	// main's guarded transport (internal/httpguard) cuts the body off first.
	if errors.Is(err, webapi.ErrTooLarge) || httpguard.IsTooLarge(err) {
		return fmt.Errorf("%w: the answer to %s is larger than %d KiB, far more than any real one (the sign-in URL or a proxy in between is broken or hostile)", errBadAnswer, path, maxAnswer>>10)
	}
	if err != nil {
		return fmt.Errorf("CloudSSO %s: read answer: %w", path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		pe := &PortalError{Status: resp.StatusCode}
		var eb struct {
			ErrorCode    string `json:"ErrorCode"`
			ErrorMessage string `json:"ErrorMessage"`
			RequestID    string `json:"RequestId"`
		}
		if json.Unmarshal(data, &eb) == nil {
			sent := requestSecrets(bearer, body)
			pe.Code, pe.Message, pe.RequestID = webapi.Short(eb.ErrorCode, 64, sent...), webapi.Short(eb.ErrorMessage, 300, sent...), webapi.Short(eb.RequestID, 64, sent...)
		}
		return pe
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%w: the answer to %s is not the JSON the portal sends (%v)", errBadAnswer, path, err)
	}
	return nil
}

// DeviceAuthorization is the answer to /device-authorization.
type DeviceAuthorization struct {
	DeviceCode              string `json:"DeviceCode"`
	UserCode                string `json:"UserCode"`
	VerificationURI         string `json:"VerificationUri"`
	VerificationURIComplete string `json:"VerificationUriComplete"`
	Interval                int    `json:"Interval"`
}

// StartDeviceAuthorization begins a sign-in with the PKCE challenge.
func (p *Portal) StartDeviceAuthorization(ctx context.Context, challenge string) (DeviceAuthorization, error) {
	body := map[string]string{
		"PortalUrl":           p.SignInURL,
		"CodeChallenge":       challenge,
		"ClientId":            p.ClientID,
		"CodeChallengeMethod": "S256",
	}
	var out DeviceAuthorization
	if err := p.do(ctx, http.MethodPost, "/device-authorization", "", "", body, &out); err != nil {
		return out, err
	}
	if out.DeviceCode == "" || out.UserCode == "" || out.VerificationURI == "" {
		return out, errors.New("CloudSSO device authorization answer lacks DeviceCode, UserCode or VerificationUri")
	}
	// Both go to the terminal, the address also to the browser command:
	// an http(s) URL and a code of visible characters only.
	for _, u := range []string{out.VerificationURI, out.VerificationURIComplete} {
		if u != "" && !webAddress(u) {
			return out, fmt.Errorf("CloudSSO device authorization answer: the verification address %q is not an http(s) URL", webapi.Short(u, 100))
		}
	}
	if !visible(out.UserCode) {
		return out, errors.New("CloudSSO device authorization answer: the user code holds characters that cannot be shown")
	}
	return out, nil
}

func webAddress(s string) bool {
	u, err := url.Parse(s)
	return err == nil && visible(s) && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// visible: printable ASCII without spaces (URLs and user codes are such).
func visible(s string) bool {
	for _, r := range s {
		if r <= ' ' || r >= 0x7f {
			return false
		}
	}
	return s != ""
}

// errBadAnswer marks an answer no real portal gives (too large, not JSON,
// a token of absurd shape): for /token the device code may be spent, so
// polling again would only end in a misleading "expired".
var errBadAnswer = errors.New("the CloudSSO portal's answer is not one it gives")

// AccessToken is the answer to /token.
type AccessToken struct {
	AccessToken string `json:"AccessToken"`
	// ExpiresIn is in seconds (aliyun-cli stores now + ExpiresIn as unix).
	ExpiresIn int64 `json:"ExpiresIn"`
}

// CreateToken polls once for the access token.
func (p *Portal) CreateToken(ctx context.Context, deviceCode, verifier string) (AccessToken, error) {
	body := map[string]string{
		"CodeVerifier": verifier,
		"ClientId":     p.ClientID,
		"DeviceCode":   deviceCode,
		"GrantType":    "urn:ietf:params:oauth:grant-type:device_code",
	}
	var out AccessToken
	if err := p.do(ctx, http.MethodPost, "/token", "", "", body, &out); err != nil {
		return out, err
	}
	if out.AccessToken == "" || out.ExpiresIn <= 0 {
		return AccessToken{}, fmt.Errorf("%w: it lacks AccessToken or ExpiresIn", errBadAnswer)
	}
	if msg := webapi.TokenProblem("AccessToken", out.AccessToken, out.ExpiresIn); msg != "" {
		return AccessToken{}, fmt.Errorf("%w: %s; check the sign-in URL and any proxy in between, nothing was stored", errBadAnswer, msg)
	}
	return out, nil
}

// Account is one account the user is assigned to.
type Account struct {
	AccountID   string `json:"AccountId"`
	DisplayName string `json:"DisplayName"`
}

// AccessConfiguration is one access configuration in an account.
type AccessConfiguration struct {
	ID          string `json:"AccessConfigurationId"`
	Name        string `json:"AccessConfigurationName"`
	Description string `json:"AccessConfigurationDescription"`
}

// maxPages stops a portal that never ends its listing.
const maxPages = 1000

// ListAccounts lists every account the token's user is assigned to.
func (p *Portal) ListAccounts(ctx context.Context, token string) ([]Account, error) {
	return collectPages("account", func(next string) ([]Account, bool, string, error) {
		var out struct {
			Accounts    []Account `json:"Accounts"`
			IsTruncated bool      `json:"IsTruncated"`
			NextToken   string    `json:"NextToken"`
		}
		q := url.Values{"NextToken": {next}, "MaxResults": {"100"}}
		err := p.do(ctx, http.MethodGet, "/access-assignments/accounts", q.Encode(), token, nil, &out)
		return out.Accounts, out.IsTruncated, out.NextToken, err
	})
}

// ListAccessConfigurations lists the user's access configurations in
// account.
func (p *Portal) ListAccessConfigurations(ctx context.Context, token, account string) ([]AccessConfiguration, error) {
	return collectPages("access configuration", func(next string) ([]AccessConfiguration, bool, string, error) {
		var out struct {
			List        []AccessConfiguration `json:"AccessConfigurationsForAccount"`
			IsTruncated bool                  `json:"IsTruncated"`
			NextToken   string                `json:"NextToken"`
		}
		q := url.Values{"AccountId": {account}, "MaxResults": {strconv.Itoa(100)}}
		if next != "" {
			q.Set("NextToken", next)
		}
		err := p.do(ctx, http.MethodGet, "/access-assignments/access-configurations", q.Encode(), token, nil, &out)
		return out.List, out.IsTruncated, out.NextToken, err
	})
}

// collectPages follows NextToken through a listing of what, one fetch a
// page, for at most maxPages pages; a page that is truncated but names no
// new NextToken ends it with an error rather than a loop.
func collectPages[T any](what string, fetch func(next string) ([]T, bool, string, error)) ([]T, error) {
	var all []T
	next := ""
	for page := 0; page < maxPages; page++ {
		items, truncated, token, err := fetch(next)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if !truncated {
			return all, nil
		}
		if token == "" || token == next {
			return nil, fmt.Errorf("CloudSSO %s listing is truncated without a new NextToken", what)
		}
		next = token
	}
	return nil, fmt.Errorf("CloudSSO %s listing did not end after %d pages", what, maxPages)
}

// expiresAt turns ExpiresIn into a time, a little early so a token is
// never used in its last seconds.
func expiresAt(now time.Time, expiresIn int64) time.Time {
	return now.Add(time.Duration(expiresIn)*time.Second - 10*time.Second).UTC().Truncate(time.Second)
}

// requestSecrets are the secret values a portal call sent (the bearer
// token, the device code, the code verifier): a portal that echoes them in
// an error must not get them shown. Other fields (client id, grant type)
// stay readable.
func requestSecrets(bearer string, body any) []string {
	out := []string{bearer}
	if m, ok := body.(map[string]string); ok {
		out = append(out, m["CodeVerifier"], m["DeviceCode"])
	}
	return out
}
