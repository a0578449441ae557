package commands

import (
	"fmt"
	"runtime"

	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/internal/signin"
)

// Login is `alirole login PROFILE`.
func Login(e Env) *cli.Command {
	return &cli.Command{
		Name:      "login",
		Usage:     "open the Alibaba Cloud console as a profile's role session",
		ArgsUsage: "PROFILE",
		Description: "Resolves PROFILE to a role session and trades it for a console sign-in URL (console sign-in\n" +
			"federation: GetSigninToken, then Login), which it opens with $BROWSER, xdg-open, open or\n" +
			"rundll32. The profile must assume a role: the console takes only STS credentials.\n" +
			"\n" +
			"The URL logs its holder in, so treat it as a secret: alirole never logs it (not even with\n" +
			"--debug). It is single-use and expires 30 s after it is made, but it does appear in the\n" +
			"browser command's arguments; --stdout prints it to stdout only (nothing else goes there).\n" +
			"The console session ends when the role session does; --refresh gets a full-length one.\n" +
			"\n" +
			"The credentials are POSTed as a form body rather than put into a URL; should the service\n" +
			"refuse that, alirole retries with a query string (over https).",
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "stdout", Usage: "print the sign-in URL instead of opening a browser"},
			&cli.StringFlag{Name: "destination", Usage: "console page to open (an https://*.console.aliyun.com or *.console.alibabacloud.com address)", DefaultText: signin.DefaultDestination + ", or " + signin.InternationalDestination + " for the international site"},
			&cli.BoolFlag{Name: "international", Usage: "use the international site (" + signin.InternationalFederationURL + ")"},
			&cli.StringFlag{Name: "signin-url", Usage: "federation endpoint (https)", EnvVars: []string{"ALIROLE_SIGNIN_URL"}, DefaultText: signin.DefaultFederationURL},
		}, cacheFlags()...),
		BashComplete: e.completeProfiles,
		Action: func(c *cli.Context) error {
			return e.login(c, signin.BrowserOpener(e.Getenv, runtime.GOOS))
		},
	}
}

func (e Env) login(c *cli.Context, open signin.Opener) error {
	name, err := profileArg(c)
	if err != nil {
		return err
	}
	federation := c.String("signin-url")
	if federation == "" {
		federation = signin.DefaultFederationURL
		if c.Bool("international") {
			federation = signin.InternationalFederationURL
		}
	}
	destination := c.String("destination")
	if destination == "" {
		destination = signin.DefaultDestinationFor(federation)
	}
	s, err := e.open(c)
	if err != nil {
		return err
	}
	client := &signin.Client{FederationURL: federation, Log: s.log}
	// Fail on bad flags before touching the keychain or STS.
	if _, err := client.Endpoint(); err != nil {
		return err
	}
	if !signin.IsConsoleURL(destination) {
		return fmt.Errorf("--destination %q is not an Alibaba Cloud console address (https://*.console.aliyun.com or https://*.console.alibabacloud.com)", destination)
	}
	if err := needsRoleSession(s.cfg, name); err != nil {
		return err
	}
	r, err := s.resolver(c)
	if err != nil {
		return err
	}
	res, err := r.Resolve(c.Context, name)
	if err != nil {
		return err
	}
	if !res.Credentials.IsSTS() {
		return fmt.Errorf("profile %q resolves to a long-term AccessKey: console sign-in federation needs a role session (set ram_role_arn, or use a profile that assumes a role)", name)
	}
	token, err := client.SigninToken(c.Context, res.Credentials)
	if err != nil {
		return fmt.Errorf("profile %q: %w", name, err)
	}
	u, err := client.LoginURL(token, destination, "")
	if err != nil {
		return err
	}
	until := ""
	if res.Credentials.Expires() {
		until = fmt.Sprintf(" until %s (%s left)", res.Credentials.ExpirationString(), timeLeft(res.Credentials.Expiration.Sub(e.Now())))
	}
	if c.Bool("stdout") {
		if _, err := fmt.Fprintln(e.Stdout, u); err != nil {
			return fmt.Errorf("write sign-in url: %w", err)
		}
		fmt.Fprintf(e.Stderr, "Sign-in URL for profile %q: single use, valid for %s; the console session lasts%s.\n", name, signin.TokenLifetime, until)
		return nil
	}
	if err := open(c.Context, u); err != nil {
		return fmt.Errorf("open the sign-in url: %w (use 'alirole login --stdout %s' and open the URL yourself)", err, name)
	}
	fmt.Fprintf(e.Stderr, "Opened the Alibaba Cloud console for profile %q in your browser; the session lasts%s.\n", name, until)
	return nil
}

// needsRoleSession rejects, before any keychain or network access, a
// profile whose chain can only yield a long-term AccessKey.
func needsRoleSession(cfg *config.Config, name string) error {
	chain, err := cfg.Chain(name)
	if err != nil {
		return err
	}
	for _, p := range chain {
		if p.AssumesRole() || !p.UsesKeychainAK() && p.IsRoot() {
			return nil
		}
	}
	return fmt.Errorf("profile %q assumes no role: console sign-in federation needs a role session (STS credentials); add ram_role_arn to it or use a profile that assumes a role", name)
}
