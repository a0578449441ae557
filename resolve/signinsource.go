package resolve

import (
	"context"
	"time"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/internal/creds"
	"github.com/alirole/alirole/keychain"
)

// signInSource is what the sign-in roots (cloudsso, oauth) share: their
// STS credentials are cached in the keychain like a hop's session, under a
// per-profile lock, and stored only while the session generation read
// before the resolution began is current (see Resolver.build).
type signInSource struct {
	r       *Resolver
	ctx     context.Context
	prof    *config.Profile
	id, key string
	secrets *secretSet
	memo    *creds.Credentials
	gen     keychain.Generation
}

func newSignInSource(r *Resolver, ctx context.Context, p *config.Profile, id string, secrets *secretSet) signInSource {
	return signInSource{r: r, ctx: ctx, prof: p, id: id, key: keychain.SessionKey(p.Name, id), secrets: secrets}
}

func (n *signInSource) identity() string { return n.id }

// warm returns the cached session when the options allow reading one
// before any lock (neither --no-cache nor --refresh).
func (n *signInSource) warm() (creds.Credentials, bool) {
	o := n.r.o
	if o.NoCache || o.Refresh {
		return creds.Credentials{}, false
	}
	return n.cached(o.Now(), time.Time{})
}

// lock takes the session lock and looks again: another process may have
// cached a session while this one waited (under --refresh, only one made
// after start counts). unlock is set whenever err is nil.
func (n *signInSource) lock(start time.Time) (unlock func(), c creds.Credentials, ok bool, err error) {
	o := n.r.o
	unlock, err = n.r.lockHop(n.ctx, n.key)
	if err != nil {
		return nil, creds.Credentials{}, false, errf(n.prof.Name, "%w", err)
	}
	notBefore := time.Time{}
	if o.Refresh {
		notBefore = start
	}
	c, ok = n.cached(o.Now(), notBefore)
	return unlock, c, ok, nil
}

func (n *signInSource) cached(now, notBefore time.Time) (creds.Credentials, bool) {
	o := n.r.o
	s, err := o.Store.Session(n.key)
	if err != nil || !s.Credentials.IsSTS() || !s.Credentials.ValidFor(now, o.ExpiryWindow) || s.Created.Before(notBefore) {
		return creds.Credentials{}, false
	}
	n.keep(s.Credentials)
	return s.Credentials, true
}

// keep remembers c for this resolution and for the redaction of output.
func (n *signInSource) keep(c creds.Credentials) {
	n.secrets.add(c)
	n.memo = &c
}

// store caches c as the profile's session unless the generation moved on.
func (n *signInSource) store(c creds.Credentials) error {
	o := n.r.o
	return o.Store.SetSessionSince(n.gen, n.key, keychain.Session{Profile: n.prof.Name, Credentials: c, Created: o.Now()})
}
