// Package webapi is what alirole's own clients of JSON web services (the
// CloudSSO portal, the OAuth service, the console sign-in service) share:
// sending through the injected client or the default one (whose transport
// main guards, see internal/httpguard), reading an answer with a bound,
// and the text of a service's error answer.
package webapi

import (
	"errors"
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
