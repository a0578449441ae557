package commands

import (
	"context"
	"fmt"
	"runtime"

	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/exec"
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
			"ALIBABA_CLOUD_IGNORE_PROFILE=TRUE so the aliyun CLI uses them instead of its own profile, and\n" +
			"ALIROLE_PROFILE / ALIROLE_SESSION_EXPIRATION for prompts and scripts.\n\n" +
			"With --server, the child gets ALIBABA_CLOUD_CREDENTIALS_URI pointing at a credentials server on\n" +
			"127.0.0.1 that refreshes the session before it expires, so long runs outlive one session.",
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "server", Aliases: []string{"s"}, Usage: "serve refreshing credentials on 127.0.0.1 instead of fixed ones"},
			&cli.StringFlag{Name: "region", Usage: "region for the *_REGION_ID / *_REGION variables (default: the profile's region_id)"},
			&cli.BoolFlag{Name: "force-nested", Usage: "allow running inside another alirole exec"},
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
	opts := shellenv.Options{Region: region(c, res), Profile: name}
	if c.Bool("server") {
		if !res.Credentials.IsSTS() {
			// Credentials URI clients require a token and an expiry.
			return fmt.Errorf("exec --server needs a profile that assumes a role; %q resolves to a long-term AccessKey (use exec without --server)", name)
		}
		return e.execWithServer(c, s, r, name, opts, argv)
	}
	e.warnLongTerm(c, s, name, res)
	env := shellenv.Merge(e.Environ(), shellenv.Vars(res.Credentials, opts))
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
	env := shellenv.Merge(e.Environ(), shellenv.ServerVars(srv.URL(), opts))
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
