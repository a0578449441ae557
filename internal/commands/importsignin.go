package commands

import (
	"fmt"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/internal/aliyuncli"
	"github.com/alirole/alirole/internal/oauth"
	"github.com/alirole/alirole/keychain"
)

// isSignInMode reports whether p is a CloudSSO or OAuth profile: its
// access_key_* fields are cached STS credentials, never a long-term key.
func isSignInMode(p aliyuncli.Profile) bool {
	m := aliyuncli.CanonicalMode(p.Mode)
	return m == "CloudSSO" || m == "OAuth"
}

func hasPlainCredentials(p aliyuncli.Profile) bool {
	return p.AccessKeyID != "" || p.AccessKeySecret != "" || p.StsToken != "" || p.AccessToken != "" ||
		p.OAuthAccessToken != "" || p.OAuthRefreshToken != ""
}

// importTokens moves the sign-in tokens of a CloudSSO or OAuth profile
// into the keychain: the CloudSSO access token while it is valid, the
// OAuth refresh token (and access token). moved is true when the profile
// held a token.
func (e Env) importTokens(c *cli.Context, store **keychain.Store, p aliyuncli.Profile) (moved bool, err error) {
	open := func() error {
		if *store == nil {
			s, err := e.openStore(c)
			if err != nil {
				return err
			}
			*store = s
		}
		return nil
	}
	now := e.Now()
	switch aliyuncli.CanonicalMode(p.Mode) {
	case "CloudSSO":
		if p.AccessToken == "" {
			return false, nil
		}
		exp := time.Unix(int64(p.CloudSSOAccessTokenExpire), 0).UTC()
		if !exp.After(now) {
			fmt.Fprintf(e.Stderr, "  %s: its CloudSSO token has expired; alirole signs in again when needed\n", p.Name)
			return true, nil
		}
		if err := open(); err != nil {
			return false, err
		}
		// A newer token for the same portal (another profile) wins.
		if cur, err := (*store).SSOToken(p.CloudSSOSignInURL); err == nil && !cur.Expires.Before(exp) {
			return true, nil
		}
		if err := (*store).SetSSOToken(keychain.SSOToken{SignInURL: p.CloudSSOSignInURL, AccessToken: p.AccessToken, Expires: exp, Created: now.UTC().Truncate(time.Second)}); err != nil {
			return false, fmt.Errorf("store the CloudSSO token of %s: %w", p.Name, err)
		}
		fmt.Fprintf(e.Stderr, "  %s: CloudSSO token moved into the keychain\n", p.Name)
		return true, nil
	case "OAuth":
		if p.OAuthRefreshToken == "" {
			return p.OAuthAccessToken != "", nil
		}
		site, err := oauth.SiteFor(strings.ToUpper(p.OAuthSiteType), e.Getenv)
		if err != nil {
			return false, err
		}
		if err := open(); err != nil {
			return false, err
		}
		t := keychain.OAuthToken{Site: site.Name, OAuthURL: site.OAuthURL, RefreshToken: p.OAuthRefreshToken, AccessToken: p.OAuthAccessToken, Created: now.UTC().Truncate(time.Second)}
		if p.OAuthAccessTokenExpire > 0 {
			t.AccessExpires = time.Unix(int64(p.OAuthAccessTokenExpire), 0).UTC()
		}
		if err := (*store).SetOAuthToken(t); err != nil {
			return false, fmt.Errorf("store the OAuth tokens of %s: %w", p.Name, err)
		}
		fmt.Fprintf(e.Stderr, "  %s: OAuth tokens moved into the keychain\n", p.Name)
		return true, nil
	}
	return false, nil
}

// rescrubSignIn handles a CloudSSO or OAuth CLI profile that an earlier
// import already turned into the alirole profile have (import's advice is
// "run again with --scrub"). It returns why the profile cannot be scrubbed,
// or "" when have signs in the same way, after making sure the keychain
// holds a token for it. A stored OAuth token is kept as it is: alirole may
// have rotated the refresh token since, which makes config.json's one spent.
func (e Env) rescrubSignIn(c *cli.Context, store **keychain.Store, have *config.Profile, p aliyuncli.Profile) (string, error) {
	switch aliyuncli.CanonicalMode(p.Mode) {
	case "CloudSSO":
		if have.CredentialSource != config.SourceCloudSSO || have.CloudSSOSignInURL != p.CloudSSOSignInURL ||
			have.CloudSSOAccountID != p.CloudSSOAccountID || have.CloudSSOAccessConfig != p.CloudSSOAccessConfig {
			return "alirole's profile " + p.Name + " is not the same CloudSSO sign-in (URL, account and access configuration)", nil
		}
	case "OAuth":
		if have.CredentialSource != config.SourceOAuth || !strings.EqualFold(have.OAuthSiteType, p.OAuthSiteType) {
			return "alirole's profile " + p.Name + " is not an OAuth profile of site " + strings.ToUpper(p.OAuthSiteType), nil
		}
		site, err := oauth.SiteFor(strings.ToUpper(p.OAuthSiteType), e.Getenv)
		if err != nil {
			return "", err
		}
		if *store == nil {
			s, err := e.openStore(c)
			if err != nil {
				return "", err
			}
			*store = s
		}
		if _, err := (*store).OAuthToken(site.OAuthURL); err == nil {
			fmt.Fprintf(e.Stderr, "%s: already imported, alirole holds its OAuth tokens\n", p.Name)
			return "", nil
		}
	}
	if _, err := e.importTokens(c, store, p); err != nil {
		return "", err
	}
	fmt.Fprintf(e.Stderr, "%s: already imported\n", p.Name)
	return "", nil
}
