package commands

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/internal/sso"
	"github.com/alirole/alirole/keychain"
	"github.com/alirole/alirole/resolve"
)

// SSO is `alirole sso login|logout`.
func SSO(e Env) *cli.Command {
	return &cli.Command{
		Name:  "sso",
		Usage: "sign in to and out of CloudSSO (the access token lives only in the keychain), write profiles for your assignments",
		Description: "CloudSSO profiles (credential_source = cloudsso) get STS credentials from the CloudSSO user\n" +
			"portal with an access token. alirole signs in when a profile needs a token and there is none\n" +
			"(device authorization with PKCE: it shows a URL and a code on the terminal and opens the\n" +
			"browser); one sign-in per sign-in URL serves every alirole process at once.",
		Subcommands: []*cli.Command{
			{
				Name:      "login",
				Usage:     "sign in to CloudSSO now",
				ArgsUsage: "PROFILE | --sign-in-url URL",
				Description: "Signs in to the sign-in URL of PROFILE (a cloudsso profile or one whose chain starts at\n" +
					"one) or of --sign-in-url. The verification URL and the user code are printed on the\n" +
					"terminal (/dev/tty) and the page opens in the browser unless --no-browser is given or\n" +
					"there is no display. The access token is stored in the keychain, never in a file.",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "sign-in-url", Usage: "CloudSSO user portal sign-in URL"},
					&cli.BoolFlag{Name: "force", Usage: "sign in even if the stored token is still valid"},
				},
				BashComplete: e.completeProfiles,
				Action:       e.ssoLogin,
			},
			{
				Name:      "logout",
				Usage:     "drop CloudSSO access tokens and the sessions made with them",
				ArgsUsage: "[SIGN-IN-URL]",
				Description: "Removes the access token of SIGN-IN-URL (all tokens when omitted) from the keychain,\n" +
					"and the cached sessions of every profile whose chain starts at a cloudsso profile with\n" +
					"that sign-in URL.",
				Action: e.ssoLogout,
			},
			ssoPopulateCommand(e),
		},
	}
}

// ssoFlags are the global flags of sign-ins.
func ssoFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "no-browser", Usage: "never open a browser for a CloudSSO sign-in; only print the URL and code", EnvVars: []string{"ALIROLE_NO_BROWSER"}},
		&cli.DurationFlag{Name: "login-timeout", Usage: "give up on a CloudSSO sign-in not approved within this long", Value: sso.DefaultLoginTimeout, EnvVars: []string{"ALIROLE_LOGIN_TIMEOUT"}},
	}
}

// hasDisplay reports whether a browser can be shown: $BROWSER is set, or
// there is a graphical session (macOS and Windows ones unless reached over
// SSH, X11 or Wayland elsewhere).
func hasDisplay(getenv func(string) string, goos string) bool {
	if getenv("BROWSER") != "" {
		return true
	}
	switch goos {
	case "darwin", "windows":
		return getenv("SSH_CONNECTION") == "" && getenv("SSH_TTY") == ""
	}
	return getenv("DISPLAY") != "" || getenv("WAYLAND_DISPLAY") != ""
}

// ssoManager builds the token manager for this run.
func (s *session) ssoManager(c *cli.Context) *sso.Manager {
	e := s.env
	lockDir, _ := resolve.DefaultLockDir(e.Getenv) // resolver() reports the error
	browser := e.browserOpener(c)
	timeout := signInHTTPTimeout(c)
	clientID := sso.ClientID(e.Getenv)
	cfg := s.cfg
	return &sso.Manager{
		Store:   s.store,
		LockDir: lockDir,
		Portal: func(u string) *sso.Portal {
			return &sso.Portal{SignInURL: u, ClientID: clientID, HTTP: &http.Client{Timeout: timeout}, UserAgent: "alirole"}
		},
		OpenTerminal: func() (io.WriteCloser, error) {
			if e.TTY == nil {
				return nil, errors.New("no terminal")
			}
			return e.TTY()
		},
		Stderr:       e.Stderr,
		Browser:      browser,
		Now:          e.Now,
		LoginTimeout: c.Duration("login-timeout"),
		Log:          s.log,
		LoginHint: func(u string) string {
			if p := ssoProfileFor(cfg, u); p != "" {
				return "alirole sso login " + p
			}
			return "alirole sso login --sign-in-url " + u
		},
	}
}

// ssoProfileFor names the first cloudsso profile with signInURL.
func ssoProfileFor(cfg *config.Config, signInURL string) string {
	return rootProfileFor(cfg, func(p *config.Profile) bool {
		return p.CredentialSource == config.SourceCloudSSO && p.CloudSSOSignInURL == signInURL
	})
}

// ssoRoot returns the cloudsso profile a chain starts at.
func ssoRoot(cfg *config.Config, name string) (*config.Profile, error) {
	chain, err := cfg.Chain(name)
	if err != nil {
		return nil, err
	}
	root := chain[0]
	if root.CredentialSource != config.SourceCloudSSO {
		return nil, fmt.Errorf("profile %q does not start at a CloudSSO profile (credential_source = cloudsso); use --sign-in-url", name)
	}
	return root, nil
}

func (e Env) ssoLogin(c *cli.Context) error {
	s, err := e.open(c)
	if err != nil {
		return err
	}
	u := c.String("sign-in-url")
	switch {
	case u != "" && c.NArg() > 0:
		return errors.New("sso login: give a PROFILE or --sign-in-url, not both")
	case u != "":
		if msg := config.SignInURLProblem(u); msg != "" {
			return fmt.Errorf("--sign-in-url: %s, got %q", msg, u)
		}
	case c.NArg() == 1:
		root, err := ssoRoot(s.cfg, c.Args().First())
		if err != nil {
			return err
		}
		u = root.CloudSSOSignInURL
	default:
		return errors.New("sso login: missing PROFILE or --sign-in-url (see 'alirole sso login --help')")
	}
	m := s.ssoManager(c)
	if !c.Bool("force") {
		if t, err := s.store.SSOToken(u); err == nil && t.Expires.After(e.Now().Add(sso.MinValidity)) {
			fmt.Fprintf(e.Stderr, "Already signed in to %s until %s (%s left); --force signs in again.\n", u, t.Expires.Local().Format("2006-01-02 15:04 MST"), timeLeft(t.Expires.Sub(e.Now())))
			return nil
		}
	}
	t, err := m.Login(c.Context, u, c.Bool("force"))
	if errors.Is(err, sso.ErrNoInteraction) {
		return ssoLoginNeedsTerminal(c, u)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stderr, "Signed in to %s; the token is in the keychain until %s (%s).\n", u, t.Expires.Local().Format("2006-01-02 15:04 MST"), timeLeft(t.Expires.Sub(e.Now())))
	return nil
}

// ssoLoginNeedsTerminal is the error of `sso login` run with neither a
// terminal nor a browser: the manager's own hint ("run 'alirole sso login
// X'") would name the very command that just failed.
func ssoLoginNeedsTerminal(c *cli.Context, signInURL string) error {
	again := "alirole sso login --sign-in-url " + signInURL
	if c.NArg() == 1 {
		again = "alirole sso login " + c.Args().First()
	}
	why := "no browser can be opened (no $BROWSER, and no graphical display: DISPLAY and WAYLAND_DISPLAY are unset, or this is an SSH session)"
	if c.Bool("no-browser") {
		why = "--no-browser (or ALIROLE_NO_BROWSER) turned the browser off"
	}
	return fmt.Errorf("sso login: a CloudSSO sign-in needs a terminal (to show the verification URL and code) or a browser (to open the page), and this run has neither: there is no controlling terminal, and %s\n"+
		"  what to do: run '%s' from an interactive terminal (over SSH, 'ssh -t'); --no-browser prints the URL and code only on a terminal, so it needs one too. "+
		"On a desktop, run it without --no-browser, or set $BROWSER to a command that opens URLs", why, again)
}

func (e Env) ssoLogout(c *cli.Context) error {
	if c.NArg() > 1 {
		return errors.New("sso logout: at most one SIGN-IN-URL")
	}
	s, err := e.open(c)
	if err != nil {
		return err
	}
	var urls []string
	if c.NArg() == 1 {
		urls = []string{c.Args().First()}
	} else {
		list, err := s.store.SSOTokens()
		if err != nil {
			return fmt.Errorf("list CloudSSO tokens: %w", err)
		}
		for _, en := range list {
			if en.Err != nil {
				// Unreadable: its URL is unknown, but it must go too.
				if err := s.store.RemoveSSOTokenKey(en.Key); err != nil {
					return err
				}
				continue
			}
			urls = append(urls, en.Token.SignInURL)
		}
		for _, n := range s.cfg.Names() {
			if p, _ := s.cfg.Profile(n); p.IsRoot() && p.CredentialSource == config.SourceCloudSSO && !contains(urls, p.CloudSSOSignInURL) {
				urls = append(urls, p.CloudSSOSignInURL)
			}
		}
	}
	for _, u := range urls {
		rerr := s.store.RemoveSSOToken(u)
		if rerr != nil && !errors.Is(rerr, keychain.ErrNotFound) {
			return rerr
		}
		tokenGone := rerr == nil
		n, err := s.clearRootedSessions(func(root *config.Profile) bool {
			return root.CredentialSource == config.SourceCloudSSO && root.CloudSSOSignInURL == u
		})
		if err != nil {
			return err
		}
		state := "no token was stored"
		if tokenGone {
			state = "token removed"
		}
		fmt.Fprintf(e.Stderr, "Signed out of %s: %s, %d cached session(s) removed.\n", u, state, n)
	}
	if len(urls) == 0 {
		fmt.Fprintln(e.Stderr, "No CloudSSO sign-ins to drop.")
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// writeSSOTokens adds the CloudSSO sign-in state to `alirole list`: every
// sign-in URL of the config and every stored token.
func writeSSOTokens(w io.Writer, cfg *config.Config, store *keychain.Store, now time.Time) error {
	var urls []string
	for _, n := range cfg.Names() {
		if p, _ := cfg.Profile(n); p.IsRoot() && p.CredentialSource == config.SourceCloudSSO && !contains(urls, p.CloudSSOSignInURL) {
			urls = append(urls, p.CloudSSOSignInURL)
		}
	}
	list, err := store.SSOTokens()
	if err != nil {
		return fmt.Errorf("list CloudSSO tokens: %w", err)
	}
	state := map[string]string{}
	for _, en := range list {
		if en.Err != nil {
			continue
		}
		u := en.Token.SignInURL
		if !contains(urls, u) {
			urls = append(urls, u)
		}
		if left := en.Token.Expires.Sub(now); left > 0 {
			state[u] = "signed in, expires in " + timeLeft(left)
		} else {
			state[u] = "expired (signs in again when needed)"
		}
	}
	if err := writeOAuthTokens(w, store, now); err != nil {
		return err
	}
	if len(urls) == 0 {
		return nil
	}
	sort.Strings(urls)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CLOUDSSO SIGN-IN URL\tTOKEN")
	for _, u := range urls {
		st := state[u]
		if st == "" {
			st = "not signed in"
		}
		fmt.Fprintf(tw, "%s\t%s\n", u, st)
	}
	return tw.Flush()
}
