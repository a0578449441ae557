package resolve

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aliyun/credentials-go/credentials/providers"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/internal/creds"
	"github.com/alirole/alirole/internal/httpguard"
	"github.com/alirole/alirole/keychain"
)

// node is one link of a resolved chain: a source or a role hop.
type node interface {
	// get returns the link's credentials, computing them at most once per
	// resolution.
	get() (creds.Credentials, error)
	// identity names what the link yields, stably across runs, so that hop
	// cache keys change when anything upstream changes.
	identity() string
	// describe names the link for messages ("profile \"base\"").
	describe() string
}

type pipeline struct {
	top  node
	hops int
	// writes tracks the hop sessions still being stored in the background.
	writes *sync.WaitGroup
}

// build turns a chain (root first) into linked nodes.
func (r *Resolver) build(ctx context.Context, chain []*config.Profile) (*pipeline, error) {
	root := chain[0]
	secrets := &secretSet{}
	writes := &sync.WaitGroup{}
	// Read before any key or session: what is fetched from here on is
	// cached only if no key was removed or replaced meanwhile.
	// (--no-cache stores nothing, so it needs none.)
	var gen keychain.Generation
	if !r.o.NoCache {
		g, err := r.o.Store.Generation()
		if err != nil {
			return nil, err
		}
		gen = g
	}
	src, err := r.source(root, secrets)
	if root.IsRoot() && root.CredentialSource == config.SourceCloudSSO {
		src, err = r.ssoSource(ctx, root, secrets)
	}
	if root.IsRoot() && root.CredentialSource == config.SourceOAuth {
		src, err = r.oauthSource(ctx, root, secrets)
	}
	if err != nil {
		return nil, err
	}
	switch n := src.(type) {
	case *ssoNode:
		n.gen = gen
	case *oauthNode:
		n.gen = gen
	}
	if pn, ok := src.(*providerNode); ok {
		pn.r, pn.ctx = r, ctx // bounded by the resolve timeout, see sourceGet
	}
	var cur node = src
	hops := 0
	for _, p := range chain {
		if !p.AssumesRole() {
			continue
		}
		hops++
		h, err := r.newHop(ctx, p, cur, root.Name, secrets)
		if err != nil {
			return nil, err
		}
		h.writes = writes
		h.gen = gen
		cur = h
	}
	return &pipeline{top: redacting{cur, secrets}, hops: hops, writes: writes}, nil
}

// source builds the root link from a root profile.
func (r *Resolver) source(p *config.Profile, secrets *secretSet) (node, error) {
	if p.UsesKeychainAK() {
		return &keychainNode{store: r.o.Store, profile: p.Name, secrets: secrets}, nil
	}
	var (
		prov providers.CredentialsProvider
		err  error
		id   string
	)
	hopts := &providers.HttpOptions{ConnectTimeout: int(r.o.ConnectTimeout.Milliseconds()), ReadTimeout: int(r.o.ReadTimeout.Milliseconds())}
	switch p.CredentialSource {
	case config.SourceECSRAMRole:
		prov, err = providers.NewECSRAMRoleCredentialsProviderBuilder().WithRoleName(p.ECSRoleName).WithHttpOptions(hopts).Build()
		id = "ecs:" + p.ECSRoleName
	case config.SourceOIDC:
		b := providers.NewOIDCCredentialsProviderBuilder().
			WithOIDCProviderARN(p.OIDCProviderArn).
			WithOIDCTokenFilePath(p.OIDCTokenFile).
			WithRoleArn(p.RamRoleArn).
			WithRoleSessionName(r.sessionName(p)).
			WithDurationSeconds(int(p.Duration.Seconds())).
			WithPolicy(p.Policy).
			WithStsRegionId(p.StsRegion).
			WithEnableVpc(p.EnableVPC).
			WithSTSEndpoint(r.endpoint(p)).
			WithHttpOptions(hopts)
		prov, err = b.Build()
		id = "oidc:" + p.OIDCProviderArn + "|" + p.RamRoleArn + "|" + p.OIDCTokenFile
	case config.SourceCredentialsURI:
		prov, err = providers.NewURLCredentialsProviderBuilder().WithUrl(p.CredentialsURI).WithHttpOptions(hopts).Build()
		secrets.addURI(p.CredentialsURI)
		id = "uri:" + p.CredentialsURI
	case config.SourceExternal:
		prov, err = providers.NewExternalCredentialsProviderBuilder().WithProcessCommand(p.ProcessCommand).Build()
		id = "external:" + p.ProcessCommand
	case config.SourceCloudSSO, config.SourceOAuth:
		return nil, nil // built by ssoSource and oauthSource, which need the context
	case config.SourceAliyunCLIProfile:
		// A private copy keeps credentials-go from writing secrets into
		// config.json (cliprofile.go).
		prov = &cliProfileProvider{file: p.CLIConfigFile, profile: p.CLIProfile, getenv: os.Getenv, tempParent: os.Getenv("XDG_RUNTIME_DIR")}
		id = "aliyun-cli:" + p.CLIConfigFile + "|" + p.CLIProfile
	default:
		return nil, errf(p.Name, "unknown credential_source %q", p.CredentialSource)
	}
	if err != nil {
		return nil, errf(p.Name, "set up %s source: %w", p.CredentialSource, err)
	}
	n := &providerNode{prov: prov, profile: p.Name, kind: p.CredentialSource, id: id, secrets: secrets, now: r.o.Now}
	if p.CredentialSource == config.SourceOIDC {
		n.maxLifetime = time.Hour // credentials-go's OIDC default DurationSeconds
		if p.Duration > 0 {
			n.maxLifetime = p.Duration
		}
	}
	return n, nil
}

func (r *Resolver) endpoint(p *config.Profile) string {
	if r.o.STSEndpoint != "" {
		return r.o.STSEndpoint
	}
	return p.StsEndpoint
}

var sessionNameBad = regexp.MustCompile(`[^\w.@-]+`)

// sessionName is the hop's RoleSessionName: configured, else the OS user
// name made valid for STS (2-64 of [\w.@-]), so ActionTrail shows who it was.
func (r *Resolver) sessionName(p *config.Profile) string {
	if p.RamSessionName != "" {
		return p.RamSessionName
	}
	return SessionNameFor(r.o.SessionUser)
}

// SessionNameFor sanitises a user name into a valid RoleSessionName.
func SessionNameFor(user string) string {
	name := strings.Trim(sessionNameBad.ReplaceAllString(user, "-"), "-")
	if len(name) > 64 {
		name = name[:64]
	}
	if len(name) < 2 {
		name = "alirole-" + name
		name = strings.TrimRight(name, "-")
	}
	return name
}

// keychainNode yields the AccessKey stored under a root profile. It reads
// the keychain only when a hop actually needs to call STS, so a cache hit
// costs no AccessKey decryption or passphrase prompt.
type keychainNode struct {
	store   Store
	profile string
	secrets *secretSet
	memo    *creds.Credentials
}

func (k *keychainNode) get() (creds.Credentials, error) {
	if k.memo != nil {
		return *k.memo, nil
	}
	ak, err := k.store.AccessKey(k.profile)
	if errors.Is(err, keychain.ErrNotFound) {
		return creds.Credentials{}, errf(k.profile, "no AccessKey stored in the keychain: run 'alirole add %s'", k.profile)
	}
	if err != nil {
		return creds.Credentials{}, errf(k.profile, "read AccessKey from keychain: %w", err)
	}
	c := creds.Credentials{AccessKeyID: ak.ID, AccessKeySecret: ak.Secret}
	k.secrets.add(c)
	k.memo = &c
	return c, nil
}

// The AccessKey itself is not part of the identity, so a cache hit needs no
// keychain read; 'alirole add' and 'remove' clear the dependent sessions.
func (k *keychainNode) identity() string { return "keychain:" + k.profile }
func (k *keychainNode) describe() string { return fmt.Sprintf("profile %q", k.profile) }

// providerNode wraps a credentials-go source provider (ECS, OIDC, URI,
// external process, aliyun CLI profile).
type providerNode struct {
	prov    providers.CredentialsProvider
	profile string
	kind    string
	id      string
	secrets *secretSet
	memo    *creds.Credentials
	// now and maxLifetime feed checkSourceAnswer.
	now         func() time.Time
	maxLifetime time.Duration
	r           *Resolver
	ctx         context.Context
}

func (n *providerNode) get() (creds.Credentials, error) {
	if n.memo != nil {
		return *n.memo, nil
	}
	pc, err := n.sourceGet()
	var te *TimeoutError
	if errors.As(err, &te) {
		return creds.Credentials{}, err
	}
	if err != nil {
		return creds.Credentials{}, errf(n.profile, "get credentials from %s source: %w", n.kind, cleanError(err))
	}
	c := creds.Credentials{AccessKeyID: pc.AccessKeyId, AccessKeySecret: pc.AccessKeySecret, SecurityToken: pc.SecurityToken}
	if exp, ok := providerExpiry(n.prov); ok {
		c.Expiration = exp
	}
	n.secrets.add(c)
	if err := n.checkSourceAnswer(c); err != nil {
		return creds.Credentials{}, err
	}
	n.memo = &c
	return c, nil
}

func (n *providerNode) identity() string { return n.id }
func (n *providerNode) describe() string {
	return fmt.Sprintf("profile %q (%s)", n.profile, n.kind)
}

// hopInfo is what error hints need to know about a hop.
type hopInfo struct {
	profile, rootProfile, roleArn, caller string
}

// hopNode is one AssumeRole call, made by a credentials-go RAMRoleARN
// provider and cached in the keychain.
type hopNode struct {
	r        *Resolver
	ctx      context.Context
	prof     *config.Profile
	prev     node
	info     hopInfo
	key      string
	id       string
	duration time.Duration
	inner    *providers.RAMRoleARNCredentialsProvider
	secrets  *secretSet
	memo     *creds.Credentials
	writes   *sync.WaitGroup
	gen      keychain.Generation
}

func (r *Resolver) newHop(ctx context.Context, p *config.Profile, prev node, rootProfile string, secrets *secretSet) (*hopNode, error) {
	duration := p.Duration
	if duration == 0 {
		duration = time.Hour // STS's default when DurationSeconds is absent
	}
	sessionName := r.sessionName(p)
	id := hopIdentity(p, sessionName, duration, prev.identity())
	inner, err := providers.NewRAMRoleARNCredentialsProviderBuilder().
		WithCredentialsProvider(sourceAdapter{prev}).
		WithRoleArn(p.RamRoleArn).
		WithRoleSessionName(sessionName).
		WithExternalId(p.ExternalID).
		WithDurationSeconds(int(duration.Seconds())).
		WithPolicy(p.Policy).
		WithStsRegionId(p.StsRegion).
		WithEnableVpc(p.EnableVPC).
		WithStsEndpoint(r.endpoint(p)).
		WithHttpOptions(&providers.HttpOptions{
			ConnectTimeout: int(r.o.ConnectTimeout.Milliseconds()),
			ReadTimeout:    int(r.o.ReadTimeout.Milliseconds()),
		}).
		Build()
	if err != nil {
		return nil, errf(p.Name, "set up assume role %s: %w", p.RamRoleArn, err)
	}
	return &hopNode{
		r: r, ctx: ctx, prof: p, prev: prev, inner: inner, duration: duration, id: id,
		key:     keychain.SessionKey(p.Name, id),
		info:    hopInfo{profile: p.Name, rootProfile: rootProfile, roleArn: p.RamRoleArn, caller: prev.describe()},
		secrets: secrets,
	}, nil
}

func (h *hopNode) identity() string { return "hop:" + h.key }
func (h *hopNode) describe() string {
	return fmt.Sprintf("profile %q (role %s)", h.prof.Name, h.prof.RamRoleArn)
}

func (h *hopNode) get() (creds.Credentials, error) {
	o := h.r.o
	log := o.Log.With("profile", h.prof.Name, "role", h.prof.RamRoleArn)
	if h.memo != nil {
		return *h.memo, nil
	}
	if o.NoCache {
		warmSystemRoots()
		return h.fetch(log)
	}
	start := o.Now()
	if !o.Refresh {
		if c, ok := h.cached(start, time.Time{}, false); ok {
			log.Debug("cached session reused", "expires", c.ExpirationString())
			return c, nil
		}
	}
	unlock, err := h.r.lockHop(h.ctx, h.key)
	if err != nil {
		return creds.Credentials{}, errf(h.prof.Name, "%w", err)
	}
	unlockLater := false
	defer func() {
		if !unlockLater {
			unlock()
		}
	}()
	// Another process may have refreshed the session while we waited.
	notBefore := time.Time{}
	if o.Refresh {
		notBefore = start
	}
	if c, ok := h.cached(o.Now(), notBefore, true); ok {
		log.Debug("session cached by another process reused", "expires", c.ExpirationString())
		return c, nil
	}
	// Only now is an STS call certain: a process that found the session
	// cached by another must not spend the CPU.
	warmSystemRoots()
	c, err := h.fetch(log)
	if err != nil {
		return c, err
	}
	// Storing the session (a key derivation per item with the file
	// backend) overlaps the next hop's STS call; the lock is held until it
	// is stored, so that waiting processes find it, and Resolve waits for
	// every write before it returns.
	unlockLater = true
	sess := keychain.Session{Profile: h.prof.Name, RoleArn: h.prof.RamRoleArn, SessionName: h.r.sessionName(h.prof), Credentials: c, Created: o.Now()}
	h.writes.Go(func() {
		defer unlock()
		if err := o.Store.SetSessionSince(h.gen, h.key, sess); errors.Is(err, keychain.ErrStaleSession) {
			log.Debug("session not cached: sessions were cleared while it was fetched")
		} else if err != nil {
			log.Warn("could not cache session", "err", err)
		}
		if n, err := o.Store.PruneExpired(h.prof.Name, o.Now()); err == nil && n > 0 {
			log.Debug("removed expired sessions", "count", n)
		}
	})
	return c, nil
}

// cached returns a usable cached session created at or after notBefore. A
// corrupt entry is removed only under the lock: without it, the entry may be
// a write still in progress by another process.
func (h *hopNode) cached(now, notBefore time.Time, locked bool) (creds.Credentials, bool) {
	o := h.r.o
	s, err := o.Store.Session(h.key)
	if err != nil {
		if locked && errors.Is(err, keychain.ErrCorrupt) {
			o.Log.Debug("dropping corrupt cached session", "profile", h.prof.Name)
			_ = o.Store.RemoveSession(h.key)
		}
		return creds.Credentials{}, false
	}
	if !s.Credentials.IsSTS() || !s.Credentials.ValidFor(now, o.ExpiryWindow) || s.Created.Before(notBefore) {
		return creds.Credentials{}, false
	}
	h.secrets.add(s.Credentials)
	h.memo = &s.Credentials
	return s.Credentials, true
}

// fetch calls STS through the RAMRoleARN provider, retrying what may pass.
func (h *hopNode) fetch(log interface{ Debug(string, ...any) }) (creds.Credentials, error) {
	o := h.r.o
	var last error
	for attempt := 1; ; attempt++ {
		start := o.Now()
		log.Debug("calling AssumeRole", "attempt", attempt)
		pc, stopped, err := h.call(attempt, last)
		if stopped {
			return creds.Credentials{}, err // the resolution ran out of time
		}
		if err == nil {
			c := creds.Credentials{AccessKeyID: pc.AccessKeyId, AccessKeySecret: pc.AccessKeySecret, SecurityToken: pc.SecurityToken}
			if exp, ok := providerExpiry(h.inner); ok {
				c.Expiration = exp
			} else {
				// STS sets Expiration = request time + DurationSeconds.
				c.Expiration = start.Add(h.duration).UTC().Truncate(time.Second)
			}
			h.secrets.add(c)
			if err := h.checkHopAnswer(c, o.Now(), attempt); err != nil {
				return creds.Credentials{}, err
			}
			h.memo = &c
			return c, nil
		}
		var se sourceError
		if errors.As(err, &se) {
			return creds.Credentials{}, se.err
		}
		if !retryable(err) || attempt >= o.Attempts {
			return creds.Credentials{}, h.wrap(err, attempt)
		}
		d := backoff(attempt)
		log.Debug("AssumeRole failed, retrying", "err", h.secrets.scrub(cleanError(err).Error()), "in", d)
		h.retrying(attempt+1, err)
		last = err
		if serr := o.Sleep(h.ctx, d); serr != nil {
			if timedOut(h.ctx) {
				return creds.Credentials{}, h.ctxError(err)
			}
			return creds.Credentials{}, h.wrap(err, attempt)
		}
	}
}

// backoff grows exponentially from 200 ms with jitter, so that many
// processes throttled together do not retry in lockstep.
func backoff(attempt int) time.Duration {
	base := 200 * time.Millisecond << (attempt - 1)
	if base > 3*time.Second {
		base = 3 * time.Second
	}
	return base/2 + rand.N(base)
}

// HopError reports a failed AssumeRole with what to do about it.
type HopError struct {
	Profile  string
	RoleArn  string
	Caller   string
	Attempts int
	Err      error
	Hint     string
}

func (e *HopError) Error() string {
	msg := fmt.Sprintf("profile %q: assume role %s as %s", e.Profile, e.RoleArn, e.Caller)
	if e.Attempts > 1 {
		msg += fmt.Sprintf(" (%d attempts)", e.Attempts)
	}
	msg += ": " + e.Err.Error()
	if e.Hint != "" {
		msg += "\n  what to do: " + e.Hint
	}
	return msg
}

func (e *HopError) Unwrap() error { return e.Err }

func (h *hopNode) wrap(err error, attempts int) error {
	clean := cleanError(err)
	he := &HopError{Profile: h.prof.Name, RoleArn: h.prof.RamRoleArn, Caller: h.info.caller, Attempts: attempts, Err: clean}
	var se *STSError
	var ce *cleanedError
	if errors.As(clean, &se) {
		he.Hint = hint(se.Code, h.info)
	} else if errors.As(clean, &ce) {
		he.Hint = ce.hint
	}
	if httpguard.IsTooLarge(err) {
		he.Hint = answerHint
	}
	return he
}

// sourceAdapter lets a node feed a credentials-go RAMRoleARN provider. Its
// errors are marked so the hop passes them through instead of retrying or
// re-wrapping what the source already reported.
type sourceAdapter struct{ n node }

type sourceError struct{ err error }

func (e sourceError) Error() string { return e.err.Error() }
func (e sourceError) Unwrap() error { return e.err }

func (a sourceAdapter) GetCredentials() (*providers.Credentials, error) {
	c, err := a.n.get()
	if err != nil {
		return nil, sourceError{err}
	}
	return &providers.Credentials{AccessKeyId: c.AccessKeyID, AccessKeySecret: c.AccessKeySecret, SecurityToken: c.SecurityToken, ProviderName: "alirole"}, nil
}

func (a sourceAdapter) GetProviderName() string { return "alirole" }

// safeGet calls a provider, turning a panic into an error: credentials-go
// v1.4.14 dereferences a missing Expiration in an STS answer.
func safeGet(p providers.CredentialsProvider) (c *providers.Credentials, err error) {
	defer func() {
		if v := recover(); v != nil {
			c, err = nil, &cleanedError{msg: "the answer has no Expiration (an incomplete answer: not from STS, or cut short)", err: errUnreadable, hint: proxyHint}
		}
	}()
	return p.GetCredentials()
}
