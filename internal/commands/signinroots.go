package commands

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/internal/signin"
)

// What the sso and oauth commands share: finding the profiles rooted at a
// sign-in, dropping their sessions, and the browser and HTTP settings of
// a sign-in.

// rootProfileFor names the first root profile that match accepts.
func rootProfileFor(cfg *config.Config, match func(*config.Profile) bool) string {
	if cfg == nil {
		return ""
	}
	for _, n := range cfg.Names() {
		if p, err := cfg.Profile(n); err == nil && p.IsRoot() && match(p) {
			return n
		}
	}
	return ""
}

// clearRootedSessions clears the cached sessions of every profile whose
// chain starts at a profile match accepts: they were made with a sign-in
// that is gone or replaced.
func (s *session) clearRootedSessions(match func(root *config.Profile) bool) (int, error) {
	n := 0
	for _, name := range s.cfg.Names() {
		chain, err := s.cfg.Chain(name)
		if err != nil || !match(chain[0]) {
			continue
		}
		k, err := s.store.ClearSessions(name)
		if err != nil {
			return n, fmt.Errorf("clear sessions of profile %q: %w", name, err)
		}
		n += k
	}
	return n, nil
}

// browserOpener opens sign-in pages, or is nil with --no-browser or
// without a display.
func (e Env) browserOpener(c *cli.Context) func(ctx context.Context, url string) error {
	if c.Bool("no-browser") || !hasDisplay(e.Getenv, runtime.GOOS) {
		return nil
	}
	return signin.BrowserOpener(e.Getenv, runtime.GOOS)
}

// signInHTTPTimeout bounds one HTTP call of a sign-in (--sts-timeout).
func signInHTTPTimeout(c *cli.Context) time.Duration {
	if t := c.Duration("sts-timeout"); t > 0 {
		return t
	}
	return 10 * time.Second
}
