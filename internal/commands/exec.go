package commands

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/exec"
	"github.com/alirole/alirole/internal/aliyuncli"
	"github.com/alirole/alirole/internal/creds"
	"github.com/alirole/alirole/internal/credserver"
	"github.com/alirole/alirole/resolve"
	"github.com/alirole/alirole/shellenv"
)

// Exec is `alirole exec PROFILE [-- CMD ARGS...]`.
func Exec(e Env) *cli.Command {
	return &cli.Command{
		Name:      "exec",
		Usage:     "run a command with a profile's temporary credentials in its environment",
		ArgsUsage: "PROFILE [-- CMD [ARGS...]]",
		Description: "Resolves PROFILE and runs CMD (default: $SHELL) with the credentials in the variables that\n" +
			"the aliyun CLI, credentials-go/Tea SDKs and Terraform read (ALIBABA_CLOUD_*, ALIBABACLOUD_*,\n" +
			"ALICLOUD_*), after removing stale credential variables from the environment. Sets\n" +
			"ALIBABA_CLOUD_IGNORE_PROFILE=TRUE so an aliyun CLI started by CMD uses them instead of its own\n" +
			"profile (it then acts in cn-hangzhou unless given --region), and ALIROLE_PROFILE /\n" +
			"ALIROLE_SESSION_EXPIRATION for prompts and scripts.\n\n" +
			"When CMD is the aliyun CLI itself (without --config-path or --profile, and not its configure\n" +
			"or plugin commands), it runs with\n" +
			"--config-path pointing at a private temporary config file (removed when it exits) whose only\n" +
			"profile holds the region and no secret, so the CLI acts in the profile's region (or --region).\n\n" +
			"With --server, the child gets ALIBABA_CLOUD_CREDENTIALS_URI / ALICLOUD_CREDENTIALS_URI pointing\n" +
			"at a credentials server on 127.0.0.1 that refreshes the session before it expires. Programs that\n" +
			"fetch the URI again (credentials-go, Tea SDKs) outlive one session; the Terraform provider\n" +
			"fetches it once when it starts, so one apply still ends with its session. An aliyun CLI that is\n" +
			"CMD itself gets a CredentialsURI profile in its temporary config file (fetched once per run);\n" +
			"one started by CMD cannot use the URI (the CLI reads no URI from the environment).\n\n" +
			"Before the run, exec gets a fresh session when the one it has ends within --min-session (or\n" +
			"the profile's min_session), and warns when even a fresh one is shorter: raise 'duration' (up to\n" +
			"the role's MaxSessionDuration).",
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "server", Aliases: []string{"s"}, Usage: "serve refreshing credentials on 127.0.0.1 instead of fixed ones"},
			&cli.StringFlag{Name: "region", Usage: "region for the *_REGION_ID / *_REGION variables (default: the profile's region_id)"},
			&cli.BoolFlag{Name: "force-nested", Usage: "allow running inside another alirole exec"},
			&cli.DurationFlag{Name: "min-session", Value: 10 * time.Minute, EnvVars: []string{"ALIROLE_MIN_SESSION"},
				Usage: "refresh, then warn, when the session ends sooner than this (programs that read credentials once, like Terraform, fail after it); 0 disables"},
			longTermWarningFlag(),
		}, cacheFlags()...),
		BashComplete: e.completeProfiles,
		Action:       e.exec,
	}
}

func (e Env) exec(c *cli.Context) error {
	name, err := profileArg(c)
	if err != nil {
		return err
	}
	if outer := e.Getenv("ALIROLE_PROFILE"); outer != "" && !c.Bool("force-nested") {
		// Both exec and eval "$(alirole export P)" set ALIROLE_PROFILE;
		// after the latter there is no shell to exit.
		return fmt.Errorf("ALIROLE_PROFILE=%s is set: this shell is inside 'alirole exec %s' (exit it) or ran eval \"$(alirole export %s)\" "+
			"(undo that with: eval \"$(alirole export --unset)\"); or unset ALIROLE_PROFILE, or pass --force-nested to run inside it anyway", outer, outer, outer)
	}
	argv := c.Args().Slice()[1:]
	if len(argv) > 0 && argv[0] == "--" {
		argv = argv[1:]
	}
	if len(argv) == 0 {
		argv = []string{exec.DefaultShell(e.Getenv)}
	}
	s, r, res, err := e.resolveProfile(c, name)
	if err != nil {
		return err
	}
	if r, res, err = e.ensureMinSession(c, s, r, name, res); err != nil {
		return err
	}
	opts := shellenv.Options{Region: region(c, res), Profile: name}
	if c.Bool("server") {
		if !res.Credentials.IsSTS() {
			// Credentials URI clients require a token and an expiry.
			return fmt.Errorf("exec --server needs a profile that assumes a role; %q resolves to a long-term AccessKey (use exec without --server)", name)
		}
		return e.execWithServer(c, s, r, name, opts, argv)
	}
	e.warnLongTerm(c, s, name, res)
	vars := shellenv.Vars(res.Credentials, opts)
	if aliyunCLIChild(argv) {
		return e.execAliyunCLI(c, s, name, opts.Region, aliyuncli.ExecProfile{STS: res.Credentials.IsSTS()}, vars, argv)
	}
	env := shellenv.Merge(e.Environ(), vars)
	path, err := exec.LookPath(argv[0], env)
	if err != nil {
		return startFailure(err)
	}
	s.log.Debug("starting command", "path", path)
	spec := exec.Spec{Path: path, Args: argv, Env: env, Stdin: e.Stdin, Stdout: e.Stdout, Stderr: e.Stderr}
	if runtime.GOOS == "windows" {
		return runChild(c, spec)
	}
	// Nothing is left for alirole to do: hand the process over, so signals,
	// job control and the exit status are the command's own.
	if e.HandOver != nil {
		if err := e.HandOver(); err != nil {
			return err
		}
		// Descriptor 1 is the real stdout again (main's stdout guard).
		spec.Stdout = os.Stdout
	}
	return startFailure(exec.Replace(spec))
}

// exitError is an error with the exit status it must give (cli.ExitCoder),
// which keeps the error itself for errors.Is.
type exitError struct {
	err  error
	code int
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }
func (e *exitError) ExitCode() int { return e.code }

// startFailure gives a program that cannot be started the status a shell
// would: 127 not found, 126 not executable.
func startFailure(err error) error {
	if err == nil {
		return nil
	}
	return &exitError{err: err, code: exec.StartFailureCode(err)}
}

// ensureMinSession gets fresh sessions when the resolved one ends within
// --min-session, and warns when even the fresh one does: Terraform's
// provider reads credentials once per run (alicloud/provider.go
// providerConfigure), so an apply outliving the session fails with
// InvalidSecurityToken.Expired, with or without --server.
func (e Env) ensureMinSession(c *cli.Context, s *session, r *resolve.Resolver, name string, res resolve.Result) (*resolve.Resolver, resolve.Result, error) {
	want := c.Duration("min-session")
	// The flag (or ALIROLE_MIN_SESSION) wins; else the profile's min_session.
	if p, err := s.cfg.Profile(name); err == nil && p.MinSessionSet && !c.IsSet("min-session") {
		want = p.MinSession
	}
	if want <= 0 || !res.Credentials.Expires() {
		return r, res, nil
	}
	left := res.Credentials.Expiration.Sub(e.Now())
	if left >= want {
		return r, res, nil
	}
	if !c.Bool("refresh") && !c.Bool("no-cache") {
		s.log.Debug("cached session too short for --min-session, refreshing", "left", left.Round(time.Second))
		if err := c.Set("refresh", "true"); err != nil {
			return r, res, err
		}
		fresh, err := s.resolver(c)
		if err != nil {
			return r, res, err
		}
		if res, err = fresh.Resolve(c.Context, name); err != nil {
			return r, res, err
		}
		r = fresh
		left = res.Credentials.Expiration.Sub(e.Now())
	}
	if left < want {
		fmt.Fprintf(e.Stderr, "alirole: warning: the session for %s ends in %s (%s), sooner than --min-session %s;\n"+
			"  programs that read credentials once (Terraform, one aliyun CLI run) fail after that, even under --server.\n"+
			"  Raise 'duration' of the profile's role (at most the role's MaxSessionDuration) or lower --min-session (or min_session).\n",
			name, left.Round(time.Second), res.Credentials.ExpirationString(), want)
	}
	return r, res, nil
}

// aliyunCLIChild reports whether argv runs the aliyun CLI with no config
// file or profile of its own choosing, so exec can hand it one.
func aliyunCLIChild(argv []string) bool {
	return aliyuncli.IsCLI(argv[0]) && !aliyuncli.ChoosesProfile(argv[1:]) && !aliyuncli.ManagesCLI(argv[1:])
}

// execAliyunCLI runs the aliyun CLI with a private config file (see
// internal/aliyuncli ExecConfig for the CLI source this follows) and removes
// the file when the CLI exits; alirole therefore stays the parent.
func (e Env) execAliyunCLI(c *cli.Context, s *session, name, region string, p aliyuncli.ExecProfile, vars []shellenv.Var, argv []string) error {
	p.Name, p.Region = name, region
	data, err := aliyuncli.ExecConfig(p)
	if err != nil {
		return err
	}
	file, remove, err := aliyuncli.WriteExecConfig("", data)
	if err != nil {
		return err
	}
	defer remove()
	env := shellenv.Merge(e.Environ(), shellenv.CLIProfileVars(vars, name))
	path, err := exec.LookPath(argv[0], env)
	if err != nil {
		return err
	}
	args := append([]string{argv[0], "--config-path", file}, argv[1:]...)
	s.log.Debug("starting the aliyun CLI with its own config file", "path", path, "config", file)
	return runChild(c, exec.Spec{Path: path, Args: args, Env: env, Stdin: e.Stdin, Stdout: e.Stdout, Stderr: e.Stderr})
}

// execWithServer runs the command as a child next to a credentials server
// that refreshes the session for as long as the child runs.
func (e Env) execWithServer(c *cli.Context, s *session, r *resolve.Resolver, name string, opts shellenv.Options, argv []string) error {
	srv, err := credserver.New(func(ctx context.Context) (creds.Credentials, error) {
		res, err := r.Resolve(ctx, name)
		return res.Credentials, err
	}, credserver.Options{Now: e.Now, RefreshWindow: c.Duration("expiry-window"), Log: s.log})
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return fmt.Errorf("start credentials server: %w", err)
	}
	defer srv.Close()
	vars := shellenv.ServerVars(srv.URL(), opts)
	if aliyunCLIChild(argv) {
		return e.execAliyunCLI(c, s, name, opts.Region, aliyuncli.ExecProfile{CredentialsURI: srv.URL()}, vars, argv)
	}
	env := shellenv.Merge(e.Environ(), vars)
	path, err := exec.LookPath(argv[0], env)
	if err != nil {
		return startFailure(err)
	}
	s.log.Debug("starting command with credentials server", "path", path)
	return runChild(c, exec.Spec{Path: path, Args: argv, Env: env, Stdin: e.Stdin, Stdout: e.Stdout, Stderr: e.Stderr})
}

// runChild runs the command as a child and exits with its status.
func runChild(c *cli.Context, spec exec.Spec) error {
	code, err := exec.Run(c.Context, spec)
	if err != nil {
		return &exitError{err: fmt.Errorf("run %s: %w", spec.Args[0], err), code: code}
	}
	if code != 0 {
		return cli.Exit("", code)
	}
	return nil
}

// longTermWarningFlag silences warnLongTerm.
func longTermWarningFlag() cli.Flag {
	return &cli.BoolFlag{
		Name:    "no-long-term-warning",
		Usage:   "do not warn when a profile without a role hands out its long-term AccessKey (config: allow_long_term_key = true)",
		EnvVars: []string{"ALIROLE_NO_LONG_TERM_WARNING"},
	}
}

// warnLongTerm says, in one line on stderr, that the program gets a
// long-term AccessKey rather than an STS session: the README promises
// sessions, and a key that never expires is what alirole exists to avoid.
func (e Env) warnLongTerm(c *cli.Context, s *session, name string, res resolve.Result) {
	if res.Credentials.IsSTS() || c.Bool("no-long-term-warning") {
		return
	}
	if p, err := s.cfg.Profile(name); err == nil && p.AllowLongTermKey {
		return
	}
	fmt.Fprintf(e.Stderr, "alirole: warning: profile %q assumes no role, so this hands out its long-term AccessKey, not an STS session "+
		"(set ram_role_arn, or silence this with allow_long_term_key = true or --no-long-term-warning)\n", name)
}
