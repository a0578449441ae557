package resolve

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aliyun/credentials-go/credentials/providers"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/internal/creds"
)

// SSOTokens provides CloudSSO access tokens (internal/sso.Manager).
type SSOTokens interface {
	// Token returns a valid access token for the sign-in URL, signing in
	// when needed, and its expiry.
	Token(ctx context.Context, signInURL string) (string, time.Time, error)
	// Rejected reports a token the portal refused, so that the next Token
	// call signs in anew.
	Rejected(signInURL, token string)
}

// ssoNode is a cloudsso root: credentials-go's CloudSSO provider makes the
// /cloud-credentials call with an access token from Options.SSO, and the
// STS credentials are cached in the keychain like a hop's session, so a
// warm run needs neither the token nor the portal.
type ssoNode struct{ signInSource }

func (r *Resolver) ssoSource(ctx context.Context, p *config.Profile, secrets *secretSet) (node, error) {
	if r.o.SSO == nil {
		return nil, errf(p.Name, "CloudSSO sources are not available here")
	}
	id := "cloudsso:" + p.CloudSSOSignInURL + "|" + p.CloudSSOAccountID + "|" + p.CloudSSOAccessConfig
	return &ssoNode{newSignInSource(r, ctx, p, id, secrets)}, nil
}

func (n *ssoNode) describe() string {
	return fmt.Sprintf("profile %q (cloudsso account %s, access configuration %s)", n.prof.Name, n.prof.CloudSSOAccountID, n.prof.CloudSSOAccessConfig)
}

func (n *ssoNode) get() (creds.Credentials, error) {
	if n.memo != nil {
		return *n.memo, nil
	}
	o := n.r.o
	log := o.Log.With("profile", n.prof.Name, "source", "cloudsso")
	if c, ok := n.warm(); ok {
		log.Debug("cached CloudSSO session reused", "expires", c.ExpirationString())
		return c, nil
	}
	start := o.Now()
	// The token first: its lock is where processes wait for one sign-in
	// (and say so); the session lock below is then held only for one
	// portal call.
	tok, _, err := o.SSO.Token(n.ctx, n.prof.CloudSSOSignInURL)
	if err != nil {
		return creds.Credentials{}, errf(n.prof.Name, "%w", err)
	}
	if o.NoCache {
		return n.fetch(log, tok)
	}
	unlock, c, ok, err := n.lock(start)
	if err != nil {
		return creds.Credentials{}, err
	}
	defer unlock()
	if ok {
		log.Debug("CloudSSO session cached by another process reused", "expires", c.ExpirationString())
		return c, nil
	}
	c, err = n.fetch(log, tok)
	if err != nil {
		return c, err
	}
	if err := n.store(c); err != nil {
		log.Warn("could not cache CloudSSO session", "err", err)
	}
	return c, nil
}

// fetch calls /cloud-credentials; a token the portal refuses is reported
// and replaced by one new sign-in, once: never a loop.
func (n *ssoNode) fetch(log interface{ Debug(string, ...any) }, tok string) (creds.Credentials, error) {
	o := n.r.o
	warmSystemRoots()
	for attempt := 1; ; attempt++ {
		c, err := n.call(tok)
		if err == nil {
			n.keep(c)
			return c, nil
		}
		if !ssoTokenRefused(err) || attempt > 1 {
			if ssoTokenRefused(err) {
				se := n.service().failure(n.prof.Name, err, tok).(*SignInError)
				// "... refused the access token (CODE: ...): the sign-in has
				// expired or was revoked" is not so: it was just made.
				se.Msg = strings.TrimSuffix(strings.Replace(se.Msg, "refused the access token", "refused a fresh access token too", 1), ": the sign-in has expired or was revoked")
				se.Hint = fmt.Sprintf("check cloud_sso_sign_in_url of profile %q (%s), then sign in again with 'alirole sso login --force %s'", n.prof.Name, n.prof.CloudSSOSignInURL, n.prof.Name)
				return creds.Credentials{}, se
			}
			return creds.Credentials{}, n.service().failure(n.prof.Name, err, tok)
		}
		log.Debug("CloudSSO portal refused the access token; signing in again")
		o.SSO.Rejected(n.prof.CloudSSOSignInURL, tok)
		if tok, _, err = o.SSO.Token(n.ctx, n.prof.CloudSSOSignInURL); err != nil {
			return creds.Credentials{}, errf(n.prof.Name, "the CloudSSO portal refused the stored access token, and signing in again failed: %w", err)
		}
	}
}

func (n *ssoNode) call(tok string) (creds.Credentials, error) {
	n.secrets.addToken(tok) // a portal's (or proxy's) error may echo it
	o := n.r.o
	p := n.prof
	// credentials-go's Build wants the expiry only to refuse an expired
	// token; the token was just checked, so a near one suffices.
	prov, err := providers.NewCloudSSOCredentialsProviderBuilder().
		WithSignInUrl(p.CloudSSOSignInURL).
		WithAccountId(p.CloudSSOAccountID).
		WithAccessConfig(p.CloudSSOAccessConfig).
		WithAccessToken(tok).
		WithAccessTokenExpire(time.Now().Add(time.Minute).Unix()).
		WithHttpOptions(&providers.HttpOptions{ConnectTimeout: int(o.ConnectTimeout.Milliseconds()), ReadTimeout: int(o.ReadTimeout.Milliseconds())}).
		Build()
	if err != nil {
		return creds.Credentials{}, err
	}
	pc, err := safeGet(prov)
	if err != nil {
		return creds.Credentials{}, err
	}
	c := creds.Credentials{AccessKeyID: pc.AccessKeyId, AccessKeySecret: pc.AccessKeySecret, SecurityToken: pc.SecurityToken}
	if exp, ok := providerExpiry(prov); ok {
		c.Expiration = exp
	} else {
		return creds.Credentials{}, &answerError{errors.New("the answer has no usable Expiration")}
	}
	if err := checkAnswer(c, o.Now(), maxSourceLifetime, true); err != nil {
		return creds.Credentials{}, &answerError{err}
	}
	return c, nil
}

// ssoTokenRefused recognises credentials-go's error for a refused token.
// providers/cloud_sso.go getCredentials returns "get session token from
// sso failed: " + the body for any non-200 answer, without the status; the
// portal's body then carries ErrorCode InvalidToken.
func ssoTokenRefused(err error) bool {
	msg := err.Error()
	return strings.HasPrefix(msg, "get session token from sso failed: ") &&
		(strings.Contains(msg, `"ErrorCode":"InvalidToken"`) || strings.Contains(msg, `"ErrorCode": "InvalidToken"`))
}
