package commands

import (
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/99designs/keyring"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/keychain"
	"github.com/alirole/alirole/resolve"
)

// GlobalFlags are accepted before any command.
func GlobalFlags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "config", Usage: "profile config file", EnvVars: []string{"ALIROLE_CONFIG_FILE"}, DefaultText: "$XDG_CONFIG_HOME/alirole/config or ~/.config/alirole/config"},
		&cli.StringFlag{Name: "backend", Usage: "keychain backend: " + strings.Join(keychain.BackendNames(), ", ") + " (default: first available)", EnvVars: []string{"ALIROLE_BACKEND"}},
		&cli.StringFlag{Name: "keyring-name", Usage: "keyring/collection name", Value: "alirole", EnvVars: []string{"ALIROLE_KEYRING_NAME"}},
		&cli.StringFlag{Name: "pass-dir", Usage: "password store directory for the pass backend", EnvVars: []string{"ALIROLE_PASS_DIR"}},
		&cli.StringFlag{Name: "pass-cmd", Usage: "pass executable for the pass backend", EnvVars: []string{"ALIROLE_PASS_CMD"}},
		&cli.StringFlag{Name: "file-dir", Usage: "directory of the encrypted file backend (passphrase from ALIROLE_FILE_PASSPHRASE or a terminal prompt)", EnvVars: []string{"ALIROLE_FILE_DIR"}, DefaultText: "~/.alirole/keys"},
		&cli.StringFlag{Name: "session-cache", Usage: "where STS sessions are cached: " + SessionCacheUsage, Value: keychain.SessionCacheKeyring, EnvVars: []string{"ALIROLE_SESSION_CACHE"}},
		&cli.StringFlag{Name: "sts-endpoint", Usage: "STS host[:port] for every role hop, overriding sts_endpoint/sts_region", EnvVars: []string{"ALIROLE_STS_ENDPOINT"}},
		&cli.DurationFlag{Name: "sts-timeout", Usage: "give up on one STS request after this long (it is retried up to 4 times in all)", Value: 10 * time.Second, EnvVars: []string{"ALIROLE_STS_TIMEOUT"}},
		&cli.DurationFlag{Name: "resolve-timeout", Usage: "give up on resolving a profile (every role hop, retry and lock wait) after this long", Value: resolve.DefaultTimeout, EnvVars: []string{"ALIROLE_RESOLVE_TIMEOUT"}},
		&cli.DurationFlag{Name: "expiry-window", Usage: "reuse a cached session only while it has more than this left", Value: resolve.DefaultExpiryWindow, EnvVars: []string{"ALIROLE_EXPIRY_WINDOW"}},
		&cli.BoolFlag{Name: "debug", Usage: "log each step to stderr (never secrets)", EnvVars: []string{"ALIROLE_DEBUG"}},
	}, ssoFlags()...)
}

// cacheFlags select how a resolving command uses the session cache.
func cacheFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "no-cache", Usage: "neither read nor write cached sessions"},
		&cli.BoolFlag{Name: "refresh", Usage: "ignore cached sessions and cache fresh ones"},
	}
}

// session bundles what most commands open: config, keychain, logger.
type session struct {
	env   Env
	cfg   *config.Config
	store *keychain.Store
	log   *slog.Logger
}

func (e Env) logger(c *cli.Context) *slog.Logger {
	if !c.Bool("debug") {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(e.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (e Env) configPath(c *cli.Context) string {
	if p := c.String("config"); p != "" {
		return p
	}
	return config.DefaultPath(e.Getenv, e.Home)
}

// loadConfig reads the profile file and prints its warnings.
func (e Env) loadConfig(c *cli.Context) (*config.Config, error) {
	e.logger(c).Debug("config file", "path", e.configPath(c))
	cfg, err := config.LoadWithOptions(e.configPath(c), config.Options{Home: e.Home})
	if err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintln(e.Stderr, "alirole: warning: "+w.String())
	}
	return cfg, nil
}

func (e Env) keychainOptions(c *cli.Context) keychain.Options {
	fileDir := c.String("file-dir")
	if fileDir == "" {
		fileDir = filepath.Join(e.Home, ".alirole", "keys")
	}
	return keychain.Options{
		Backend:     c.String("backend"),
		KeyringName: c.String("keyring-name"),
		PassDir:     c.String("pass-dir"),
		PassCmd:     c.String("pass-cmd"),
		FileDir:     fileDir,
		Passphrase:  keychain.PassphraseFunc(e.Getenv, e.TTY),
		Getenv:      e.Getenv,
	}
}

// SessionCacheUsage explains the --session-cache values.
const SessionCacheUsage = "keyring (beside the AccessKeys) or keyctl (the Linux kernel keyring: memory only, " +
	"and a cache hit needs no file-backend passphrase)"

func (e Env) openStore(c *cli.Context) (*keychain.Store, error) {
	opts := e.keychainOptions(c)
	cache := c.String("session-cache")
	if cache != keychain.SessionCacheKeyring && cache != keychain.SessionCacheKeyctl {
		return nil, fmt.Errorf("invalid --session-cache %q: use %s", cache, strings.Join(keychain.SessionCacheNames(), " or "))
	}
	ring, err := e.OpenKeyring(opts)
	if err != nil {
		return nil, err
	}
	e.logger(c).Debug("keychain", "backend", keychain.BackendName(ring), "session_cache", cache)
	// Every alirole process of the user shares the session generation, so
	// no export in flight can cache a session after remove/add/rotate/clear.
	lockDir, err := resolve.DefaultLockDir(e.Getenv)
	if err != nil {
		return nil, err
	}
	genPath := filepath.Join(lockDir, "sessions.generation")
	prepare := func() error { return resolve.PrepareLockDir(lockDir) }
	if cache == keychain.SessionCacheKeyring {
		store := keychain.New(ring)
		store.ShareGenerations(genPath, prepare)
		// Sessions cached in the kernel keyring at other times go too when
		// sessions are cleared (clear, and add/remove/rotate of a key).
		store.ClearAlso(func() (keyring.Keyring, error) {
			if !keychain.SessionCacheExists(opts) {
				return nil, nil
			}
			return e.OpenSessionCache(opts)
		})
		return store, nil
	}
	sessions, err := e.OpenSessionCache(opts)
	if err != nil {
		return nil, err
	}
	store := keychain.NewSplit(ring, sessions)
	store.ShareGenerations(genPath, prepare)
	return store, nil
}

func (e Env) open(c *cli.Context) (*session, error) {
	cfg, err := e.loadConfig(c)
	if err != nil {
		return nil, err
	}
	store, err := e.openStore(c)
	if err != nil {
		return nil, err
	}
	return &session{env: e, cfg: cfg, store: store, log: e.logger(c)}, nil
}

func (s *session) resolver(c *cli.Context) (*resolve.Resolver, error) {
	lockDir, err := resolve.DefaultLockDir(s.env.Getenv)
	if err != nil {
		return nil, err
	}
	// credentials-go bounds a whole request by connect + read timeout.
	timeout := c.Duration("sts-timeout")
	if timeout <= 0 {
		return nil, fmt.Errorf("--sts-timeout (ALIROLE_STS_TIMEOUT) must be positive, got %s", timeout)
	}
	connect := min(5*time.Second, timeout/2)
	return resolve.New(resolve.Options{
		Config:         s.cfg,
		Store:          s.store,
		Now:            s.env.Now,
		LockDir:        lockDir,
		ExpiryWindow:   c.Duration("expiry-window"),
		NoCache:        c.Bool("no-cache"),
		Refresh:        c.Bool("refresh"),
		STSEndpoint:    c.String("sts-endpoint"),
		SessionUser:    s.env.osUser(),
		ConnectTimeout: connect,
		ReadTimeout:    timeout - connect,
		Log:            s.log,
		Timeout:        c.Duration("resolve-timeout"),
		Progress:       terminalStderr(s.env),
		SSO:            s.ssoManager(c),
		OAuth:          s.oauthManager(c),
	})
}

// terminalStderr is stderr when it is a terminal (progress lines are for
// people; scripts and logs get only errors), else nil.
func terminalStderr(e Env) io.Writer {
	if f, ok := e.Stderr.(interface{ Fd() uintptr }); ok && term.IsTerminal(int(f.Fd())) {
		return e.Stderr
	}
	return nil
}

// resolveProfile opens the config and keychain and resolves name. The
// session and resolver are returned for commands that resolve again later
// (exec --server).
func (e Env) resolveProfile(c *cli.Context, name string) (*session, *resolve.Resolver, resolve.Result, error) {
	s, err := e.open(c)
	if err != nil {
		return nil, nil, resolve.Result{}, err
	}
	if err := e.checkExpiryWindow(s.cfg, name, c.Duration("expiry-window")); err != nil {
		return nil, nil, resolve.Result{}, err
	}
	r, err := s.resolver(c)
	if err != nil {
		return nil, nil, resolve.Result{}, err
	}
	res, err := r.Resolve(c.Context, name)
	return s, r, res, err
}

// stsDefaultDuration is the session length STS gives when none is asked.
const stsDefaultDuration = time.Hour

// checkExpiryWindow refuses a negative window and warns about one that no
// cached session of name's chain can outlast: every run would fetch new
// sessions without a word (a warning, not an error: forcing fresh
// sessions that way is legitimate, only doing it unknowingly is not).
func (e Env) checkExpiryWindow(cfg *config.Config, name string, window time.Duration) error {
	if window < 0 {
		return fmt.Errorf("--expiry-window (ALIROLE_EXPIRY_WINDOW) must not be negative, got %s", window)
	}
	chain, err := cfg.Chain(name)
	if err != nil {
		return nil // Resolve reports it
	}
	for _, p := range chain {
		if p.RamRoleArn == "" {
			continue
		}
		d := p.Duration
		if d == 0 {
			d = stsDefaultDuration
		}
		if window >= d {
			fmt.Fprintf(e.Stderr, "alirole: warning: --expiry-window (ALIROLE_EXPIRY_WINDOW) %s is not shorter than the %s sessions of profile %q (%s:%d): "+
				"its cached sessions are never reused; use a window well under %s (default %s)\n",
				window, d, p.Name, p.File, p.Line, d, resolve.DefaultExpiryWindow)
			return nil
		}
	}
	return nil
}

// region is the --region flag, else the profile's region.
func region(c *cli.Context, res resolve.Result) string {
	if r := c.String("region"); r != "" {
		return r
	}
	return res.Region
}

// osUser names the user for the default RoleSessionName: the account
// name, else $USER.
func (e Env) osUser() string {
	if e.CurrentUser != nil {
		if u, err := e.CurrentUser(); err == nil && u.Username != "" {
			return u.Username
		}
	}
	return e.Getenv("USER")
}

// profileConfig returns a command's PROFILE argument and the loaded
// config, for the commands that work on one profile of it.
func (e Env) profileConfig(c *cli.Context) (string, *config.Config, error) {
	name, err := profileArg(c)
	if err != nil {
		return "", nil, err
	}
	cfg, err := e.loadConfig(c)
	if err != nil {
		return "", nil, err
	}
	return name, cfg, nil
}

// profileArg returns the single PROFILE argument of a command.
func profileArg(c *cli.Context) (string, error) {
	if c.NArg() < 1 {
		return "", fmt.Errorf("%s: missing PROFILE argument (see 'alirole %s --help')", c.Command.Name, c.Command.Name)
	}
	return c.Args().First(), nil
}

// completeProfiles is the commands' BashComplete hook. Run answers
// completion requests itself (Complete) before urfave/cli sees them; this
// only serves callers of App that bypass Run.
func (e Env) completeProfiles(c *cli.Context) {
	Complete(c.App, e, e.Args)
}

// timeLeft formats a remaining duration for humans.
func timeLeft(d time.Duration) string {
	if d <= 0 {
		return "expired"
	}
	d = d.Round(time.Minute)
	if d < time.Minute {
		return "<1m"
	}
	h, m := int(d.Hours()), int(d.Minutes())%60
	if h == 0 {
		return fmt.Sprintf("%dm", m)
	}
	return fmt.Sprintf("%dh%02dm", h, m)
}
