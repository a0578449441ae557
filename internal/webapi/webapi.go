// Package webapi is what alirole's own clients of JSON web services (the
// CloudSSO portal, the OAuth service, the console sign-in service) share:
// sending through the injected client or the default one (whose transport
// main guards, see internal/httpguard), reading an answer with a bound,
// and the text of a service's error answer.
package webapi

import (
	"errors"
	"fmt"
	"github.com/alirole/alirole/internal/scrub"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Do sends req through client, http.DefaultClient when nil. A transport
// error loses its *url.Error wrapper, which only repeats the method and
// URL, to keep messages short: callers name the call themselves.
func Do(client *http.Client, req *http.Request) (*http.Response, error) {
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, err
	}
	return resp, nil
}

// ErrTooLarge is ReadAnswer's error for an answer over its bound.
var ErrTooLarge = errors.New("answer too large")

// ReadAnswer reads all of r, or ErrTooLarge once it holds more than max
// bytes.
func ReadAnswer(r io.Reader, max int) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, int64(max)+1))
	if err != nil {
		return nil, err
	}
	if len(data) > max {
		return nil, ErrTooLarge
	}
	return data, nil
}

// Describe is the text of an error answer: lead ("CloudSSO portal
// answered 401"), then the service's code, message and request id where
// it sent them.
func Describe(lead, code, message, requestID string) string {
	msg := lead
	if code != "" {
		msg += " " + code
	}
	if message != "" {
		msg += ": " + message
	}
	if requestID != "" {
		msg += " (request id " + requestID + ")"
	}
	return msg
}

// Short keeps a field of a service's answer short (max bytes, then "…")
// and on one line: control characters become spaces. A server may echo what
// it was sent, so the field is first cleaned like every service answer
// (internal/scrub): signed URLs, signatures and token shapes go, and so do
// secrets, the values the request carried.
func Short(s string, max int, secrets ...string) string {
	s = scrub.Field(s, secrets...)
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}

// Bounds of a sign-in token answer. Real CloudSSO and OAuth tokens are a
// few hundred bytes and live hours (CloudSSO 8 h, OAuth access tokens 1 h);
// anything far beyond is not an answer the services give.
const (
	MaxTokenBytes   = 16 << 10
	MaxTokenSeconds = 31 * 24 * 3600
)

// TokenProblem says what is wrong with a token (named name) of a sign-in
// answer that lasts expiresIn seconds, "" when nothing: empty, oversized,
// or holding bytes that are not printable ASCII (it goes into an
// Authorization header and the keychain), or an absurd lifetime.
func TokenProblem(name, token string, expiresIn int64) string {
	switch {
	case token == "":
		return "its " + name + " is empty"
	case len(token) > MaxTokenBytes:
		return fmt.Sprintf("its %s is %d bytes long, more than the %d any real one has", name, len(token), MaxTokenBytes)
	case expiresIn <= 0 || expiresIn > MaxTokenSeconds:
		return fmt.Sprintf("says the %s lasts %d seconds (want 1 to %d)", name, expiresIn, MaxTokenSeconds)
	}
	for i := 0; i < len(token); i++ {
		if b := token[i]; b < 0x21 || b > 0x7e {
			return fmt.Sprintf("its %s holds a byte (0x%02x at offset %d) no real one contains", name, b, i)
		}
	}
	return ""
}
