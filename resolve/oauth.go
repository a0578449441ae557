package resolve

import (
	"context"
	"errors"
	"fmt"

	"github.com/aliyun/credentials-go/credentials/providers"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/internal/creds"
)

// OAuthProviders hands out credentials-go OAuth providers with fresh
// tokens (internal/oauth.Manager); release ends the provider's use of the
// site's tokens.
type OAuthProviders interface {
	Provider(ctx context.Context, site string) (prov providers.CredentialsProvider, release func(), err error)
}

// oauthNode is an oauth root; its STS credentials are cached like a hop's
// session.
type oauthNode struct{ signInSource }

func (r *Resolver) oauthSource(ctx context.Context, p *config.Profile, secrets *secretSet) (node, error) {
	if r.o.OAuth == nil {
		return nil, errf(p.Name, "OAuth sources are not available here")
	}
	id := "oauth:" + p.OAuthSiteType
	return &oauthNode{newSignInSource(r, ctx, p, id, secrets)}, nil
}

func (n *oauthNode) describe() string {
	return fmt.Sprintf("profile %q (oauth, %s site)", n.prof.Name, n.prof.OAuthSiteType)
}

func (n *oauthNode) get() (creds.Credentials, error) {
	if n.memo != nil {
		return *n.memo, nil
	}
	o := n.r.o
	if c, ok := n.warm(); ok {
		return c, nil
	}
	start := o.Now()
	if !o.NoCache {
		unlock, c, ok, err := n.lock(start)
		if err != nil {
			return creds.Credentials{}, err
		}
		defer unlock()
		if ok {
			return c, nil
		}
	}
	prov, release, err := o.OAuth.Provider(n.ctx, n.prof.OAuthSiteType)
	if err != nil {
		return creds.Credentials{}, errf(n.prof.Name, "%w", err)
	}
	tok := providerAccessToken(prov)
	n.secrets.addToken(tok) // the exchange's error quotes its answer
	warmSystemRoots()
	pc, err := safeGet(prov)
	release()
	if err != nil {
		return creds.Credentials{}, n.service().failure(n.prof.Name, err, tok)
	}
	c := creds.Credentials{AccessKeyID: pc.AccessKeyId, AccessKeySecret: pc.AccessKeySecret, SecurityToken: pc.SecurityToken}
	exp, ok := providerExpiry(prov)
	if !ok {
		return creds.Credentials{}, n.service().failure(n.prof.Name, &answerError{errors.New("the answer has no usable expiration")})
	}
	c.Expiration = exp
	if err := checkAnswer(c, o.Now(), maxSourceLifetime, true); err != nil {
		return creds.Credentials{}, n.service().failure(n.prof.Name, &answerError{err})
	}
	n.keep(c)
	if !o.NoCache {
		if err := n.store(c); err != nil {
			o.Log.Warn("could not cache OAuth session", "err", err)
		}
	}
	return c, nil
}
