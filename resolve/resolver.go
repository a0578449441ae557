package resolve

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/internal/clock"
	"github.com/alirole/alirole/internal/creds"
	"github.com/alirole/alirole/keychain"
)

// Store is the part of the keychain resolve needs: the long-term AccessKeys
// and the session cache. *keychain.Store implements it. It must be safe
// for concurrent use (keychain.Store is): hop sessions are stored in the
// background while the resolution goes on.
type Store interface {
	AccessKey(profile string) (keychain.AccessKey, error)
	Session(key string) (keychain.Session, error)
	// Generation is read before a resolution reads anything, and
	// SetSessionSince stores a fetched session only if it is still current.
	Generation() (keychain.Generation, error)
	SetSessionSince(gen keychain.Generation, key string, s keychain.Session) error
	RemoveSession(key string) error
	PruneExpired(profile string, now time.Time) (int, error)
}

// DefaultExpiryWindow is how much validity a cached session must have left
// to be handed out: enough for a typical command to finish with it.
const DefaultExpiryWindow = 5 * time.Minute

// Options configures a Resolver. Zero values pick sensible defaults.
type Options struct {
	Config *config.Config
	Store  Store
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Sleep waits between retries; it must return early with ctx's error
	// when ctx is done (default: a timer).
	Sleep func(ctx context.Context, d time.Duration) error
	// LockDir holds the cross-process lock files (see DefaultLockDir);
	// required unless NoCache.
	LockDir string
	// ExpiryWindow, see DefaultExpiryWindow.
	ExpiryWindow time.Duration
	// NoCache neither reads nor writes cached sessions.
	NoCache bool
	// Refresh ignores cached sessions but stores the new ones.
	Refresh bool
	// STSEndpoint, when set, overrides every hop's endpoint (tests, the
	// offline demo, a private STS gateway).
	STSEndpoint string
	// SessionUser seeds the default RoleSessionName (the OS user name).
	SessionUser string
	// Attempts is how many times one STS call is tried (default 4).
	Attempts int
	// ConnectTimeout and ReadTimeout bound each STS call (defaults 5 s, 10 s).
	ConnectTimeout, ReadTimeout time.Duration
	// LockTimeout bounds the wait for another process resolving the same hop.
	LockTimeout time.Duration
	// Log receives debug steps; it never gets secrets (default: discard).
	Log *slog.Logger
	// Timeout bounds one whole resolution (default DefaultTimeout).
	Timeout time.Duration
	// Progress, when set (stderr is a terminal), is told what a slow
	// resolution waits for and about each retry; never secrets.
	Progress io.Writer
	// SSO provides CloudSSO access tokens for cloudsso sources.
	SSO SSOTokens
	// OAuth provides credentials-go OAuth providers for oauth sources.
	OAuth OAuthProviders
}

// Resolver resolves profiles. It is cheap to create; one per command run.
type Resolver struct {
	o Options
}

// New returns a Resolver with defaults filled in.
func New(o Options) (*Resolver, error) {
	if o.Config == nil {
		return nil, errors.New("resolve: no config")
	}
	if o.Store == nil {
		return nil, errors.New("resolve: no keychain store")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = clock.Sleep
	}
	if o.ExpiryWindow <= 0 {
		o.ExpiryWindow = DefaultExpiryWindow
	}
	if o.Attempts <= 0 {
		o.Attempts = 4
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 5 * time.Second
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 10 * time.Second
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = 2 * time.Minute
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.LockDir == "" && !o.NoCache {
		// No default from the process environment: the caller's
		// environment decides (see DefaultLockDir).
		return nil, errors.New("resolve: no lock directory (Options.LockDir)")
	}
	return &Resolver{o: o}, nil
}

// Result is what a resolution produced.
type Result struct {
	Profile     string
	Credentials creds.Credentials
	// Region is the profile's region_id (inherited along source_profile).
	Region string
	// Hops is the number of AssumeRole hops in the chain.
	Hops int
}

// Resolve returns credentials for profile, reusing cached sessions where
// they are valid for longer than the expiry window.
func (r *Resolver) Resolve(ctx context.Context, profile string) (Result, error) {
	chain, err := r.o.Config.Chain(profile)
	if err != nil {
		return Result{}, err
	}
	res := Result{Profile: profile, Region: r.o.Config.Region(profile)}
	ctx, cancel := r.withTimeout(ctx)
	defer cancel()
	p, err := r.build(ctx, chain)
	if err != nil {
		return Result{}, err
	}
	res.Hops = p.hops
	c, err := p.top.get()
	p.writes.Wait()
	if err != nil {
		return Result{}, err
	}
	res.Credentials = c
	return res, nil
}

// errf builds an error for a profile, keeping the chain of causes.
func errf(profile string, format string, args ...any) error {
	return fmt.Errorf("profile %q: "+format, append([]any{profile}, args...)...)
}
