package commands

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/internal/oauth"
	"github.com/alirole/alirole/internal/signin"
	"github.com/alirole/alirole/keychain"
	"github.com/alirole/alirole/resolve"
)

// OAuth is `alirole oauth login|logout`.
func OAuth(e Env) *cli.Command {
	return &cli.Command{
		Name:  "oauth",
		Usage: "sign in to and out of Alibaba Cloud OAuth (the tokens live only in the keychain)",
		Description: "OAuth profiles (credential_source = oauth, oauth_site_type = CN or INTL) get STS credentials\n" +
			"through the aliyun CLI's official-cli OAuth application. Sign in once with 'alirole oauth login';\n" +
			"the refresh token is kept in the keychain and replaced by its successor as soon as it rotates.",
		Subcommands: []*cli.Command{
			{
				Name:      "login",
				Usage:     "sign in with OAuth in the browser",
				ArgsUsage: "PROFILE | --site CN|INTL",
				Description: "Opens the Alibaba Cloud sign-in page (authorization code with PKCE) and waits on\n" +
					"127.0.0.1 only, on the first free port of 12345-12349, for the browser to come back;\n" +
					"the browser must run on this machine. The address is printed too (always with\n" +
					"--no-browser or without a display).",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "site", Usage: "CN (signin.aliyun.com) or INTL (signin.alibabacloud.com)"},
					&cli.DurationFlag{Name: "timeout", Value: oauth.DefaultTimeout, Usage: "give up when the browser has not come back after this long"},
				},
				BashComplete: e.completeProfiles,
				Action:       e.oauthLogin,
			},
			{
				Name:        "logout",
				Usage:       "drop OAuth tokens and the sessions made with them",
				ArgsUsage:   "[CN|INTL]",
				Description: "Removes the OAuth tokens of the site (both sites when omitted) and the cached sessions\nof every profile whose chain starts at an oauth profile of that site.",
				Action:      e.oauthLogout,
			},
		},
	}
}

func (s *session) oauthManager(c *cli.Context) *oauth.Manager {
	e := s.env
	lockDir, _ := resolve.DefaultLockDir(e.Getenv) // resolver() reports the error
	timeout := c.Duration("sts-timeout")
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	connect := min(5*time.Second, timeout/2)
	cfg := s.cfg
	return &oauth.Manager{
		Store: s.store, LockDir: lockDir, PrepareLockDir: func() error { return resolve.PrepareLockDir(lockDir) }, Getenv: e.Getenv, HTTP: &http.Client{Timeout: timeout},
		Now: e.Now, Log: s.log, ConnectTimeout: connect, ReadTimeout: timeout - connect,
		LoginHint: func(site string) string {
			if p := oauthProfileFor(cfg, site); p != "" {
				return "alirole oauth login " + p
			}
			return "alirole oauth login --site " + site
		},
	}
}

func oauthProfileFor(cfg *config.Config, site string) string {
	if cfg == nil {
		return ""
	}
	for _, n := range cfg.Names() {
		if p, err := cfg.Profile(n); err == nil && p.IsRoot() && p.CredentialSource == config.SourceOAuth && p.OAuthSiteType == site {
			return n
		}
	}
	return ""
}

func (e Env) oauthLogin(c *cli.Context) error {
	s, err := e.open(c)
	if err != nil {
		return err
	}
	siteName := strings.ToUpper(c.String("site"))
	switch {
	case siteName != "" && c.NArg() > 0:
		return errors.New("oauth login: give a PROFILE or --site, not both")
	case siteName != "":
	case c.NArg() == 1:
		chain, err := s.cfg.Chain(c.Args().First())
		if err != nil {
			return err
		}
		if chain[0].CredentialSource != config.SourceOAuth {
			return fmt.Errorf("profile %q does not start at an OAuth profile (credential_source = oauth); use --site", c.Args().First())
		}
		siteName = chain[0].OAuthSiteType
	default:
		return errors.New("oauth login: missing PROFILE or --site CN|INTL (see 'alirole oauth login --help')")
	}
	site, err := oauth.SiteFor(siteName, e.Getenv)
	if err != nil {
		return err
	}
	var open func(ctx context.Context, url string) error
	if !c.Bool("no-browser") && hasDisplay(e.Getenv, runtime.GOOS) {
		open = signin.BrowserOpener(e.Getenv, runtime.GOOS)
	}
	var out io.Writer = e.Stderr
	if e.TTY != nil {
		if tty, err := e.TTY(); err == nil {
			defer tty.Close()
			out = tty
		}
	}
	m := s.oauthManager(c)
	// One sign-in at a time per site: it replaces the refresh token.
	unlock, err := m.Lock(c.Context, site)
	if err != nil {
		return err
	}
	defer unlock()
	tok, err := oauth.Login(c.Context, oauth.LoginOptions{Site: site, UI: oauth.UI{Out: out, Open: open}, Timeout: c.Duration("timeout"), HTTP: m.HTTP, Now: e.Now})
	if err != nil {
		return err
	}
	if err := s.store.SetOAuthToken(tok); err != nil {
		return fmt.Errorf("store the OAuth tokens in the keychain: %w", err)
	}
	// Sessions made with an earlier sign-in may belong to another user.
	n, err := s.clearOAuthSessions(site.Name)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stderr, "Signed in with OAuth (%s site); the tokens are in the keychain (%d old cached session(s) removed).\n", site.Name, n)
	return nil
}

func (s *session) clearOAuthSessions(site string) (int, error) {
	n := 0
	for _, name := range s.cfg.Names() {
		chain, err := s.cfg.Chain(name)
		if err != nil || chain[0].CredentialSource != config.SourceOAuth || chain[0].OAuthSiteType != site {
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

func (e Env) oauthLogout(c *cli.Context) error {
	if c.NArg() > 1 {
		return errors.New("oauth logout: at most one site")
	}
	s, err := e.open(c)
	if err != nil {
		return err
	}
	names := []string{"CN", "INTL"}
	if c.NArg() == 1 {
		names = []string{strings.ToUpper(c.Args().First())}
	}
	for _, name := range names {
		site, err := oauth.SiteFor(name, e.Getenv)
		if err != nil {
			return err
		}
		rerr := s.store.RemoveOAuthToken(site.OAuthURL)
		if rerr != nil && !errors.Is(rerr, keychain.ErrNotFound) {
			return rerr
		}
		n, err := s.clearOAuthSessions(site.Name)
		if err != nil {
			return err
		}
		if rerr == nil || n > 0 || c.NArg() == 1 {
			state := "no token was stored"
			if rerr == nil {
				state = "tokens removed"
			}
			fmt.Fprintf(e.Stderr, "Signed out of OAuth (%s site): %s, %d cached session(s) removed.\n", site.Name, state, n)
		}
	}
	return nil
}

// writeOAuthTokens adds the OAuth sign-ins to `alirole list`.
func writeOAuthTokens(w io.Writer, store *keychain.Store, now time.Time) error {
	list, err := store.OAuthTokens()
	if err != nil {
		return fmt.Errorf("list OAuth tokens: %w", err)
	}
	if len(list) == 0 {
		return nil
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "OAUTH SITE\tTOKEN")
	for _, en := range list {
		if en.Err != nil {
			fmt.Fprintf(tw, "?\tunreadable (%v)\n", en.Err)
			continue
		}
		state := "signed in (refreshed when needed)"
		if left := en.Token.AccessExpires.Sub(now); left > 0 {
			state = "signed in, access token valid for " + timeLeft(left)
		}
		fmt.Fprintf(tw, "%s (%s)\t%s\n", en.Token.Site, en.Token.OAuthURL, state)
	}
	return tw.Flush()
}
