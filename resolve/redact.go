package resolve

import (
	"net/url"
	"strings"

	"github.com/alirole/alirole/internal/creds"
	"github.com/alirole/alirole/internal/scrub"
)

// secretSet remembers every secret seen during one resolution, so that no
// error text can carry one out, whatever a library put into it: raw, query-
// or path-escaped, or as a bare signature value (internal/scrub).
type secretSet struct {
	s scrub.Secrets
}

func (s *secretSet) add(c creds.Credentials) {
	s.s.Add(c.AccessKeySecret, c.SecurityToken)
}

// addToken adds a bearer token (CloudSSO, OAuth access token).
func (s *secretSet) addToken(tok string) {
	s.s.Add(tok)
}

// addURI treats the path and query of a credentials URI as secrets: they
// often carry its access token (alirole's own credentials server does).
func (s *secretSet) addURI(raw string) {
	if u, err := url.Parse(raw); err == nil {
		if len(u.Path) >= 8 {
			s.s.Add(u.Path, strings.TrimPrefix(u.Path, "/"))
		}
		s.s.Add(u.RawQuery)
	}
}

func (s *secretSet) scrub(text string) string {
	return s.s.Text(text)
}

// redacting is the outermost node: its errors never contain a known secret,
// a URL query or a terminal control sequence.
type redacting struct {
	node
	secrets *secretSet
}

func (r redacting) get() (creds.Credentials, error) {
	c, err := r.node.get()
	if err != nil {
		return c, &redactedError{msg: r.secrets.scrub(err.Error()), err: err}
	}
	return c, nil
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
