package resolve

import (
	"strings"
	"sync"

	"github.com/alirole/alirole/internal/creds"
)

// secretSet remembers every secret seen during one resolution, so that no
// error text can carry one out, whatever a library put into it.
type secretSet struct {
	mu     sync.Mutex
	values []string
}

func (s *secretSet) add(c creds.Credentials) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range []string{c.AccessKeySecret, c.SecurityToken} {
		if len(v) >= 4 {
			s.values = append(s.values, v)
		}
	}
}

func (s *secretSet) scrub(text string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range s.values {
		text = strings.ReplaceAll(text, v, "<redacted>")
	}
	return text
}

// redacting is the outermost node: its errors never contain a known secret.
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
