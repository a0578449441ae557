package keychain

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ssoTokenPrefix is the namespace of CloudSSO access tokens: one item per
// sign-in URL. Profile names cannot contain ':', so no access key item can
// start with it.
const ssoTokenPrefix = "sso-token:"

// SSOToken is a CloudSSO access token for one user portal sign-in URL.
// CloudSSO has no refresh token: when it expires, the user signs in again.
type SSOToken struct {
	SignInURL   string
	AccessToken string
	Expires     time.Time
	Created     time.Time
}

// SSOTokenEntry is one listed token; Err is set when it could not be read.
type SSOTokenEntry = TokenEntry[SSOToken]

var ssoItems = tokenItems[SSOToken]{
	prefix: ssoTokenPrefix,
	what:   "CloudSSO token",
	desc:   "Alibaba Cloud CloudSSO access token",
	decode: decodeSSOToken,
	urlOf:  func(t SSOToken) string { return t.SignInURL },
}

type ssoTokenData struct {
	SignInURL   string `json:"sign_in_url"`
	AccessToken string `json:"access_token"`
	Expires     string `json:"expires"`
	Created     string `json:"created,omitempty"`
}

// SSOTokenKey names the item holding the token for signInURL.
func SSOTokenKey(signInURL string) string { return ssoItems.key(signInURL) }

// SSOToken returns the token stored for signInURL; expiry is the caller's
// business.
func (s *Store) SSOToken(signInURL string) (SSOToken, error) {
	return ssoItems.get(s, signInURL)
}

func decodeSSOToken(data []byte) (SSOToken, error) {
	var d ssoTokenData
	if err := json.Unmarshal(data, &d); err != nil {
		return SSOToken{}, fmt.Errorf("%w (undecodable)", ErrCorrupt)
	}
	if d.SignInURL == "" || d.AccessToken == "" {
		return SSOToken{}, fmt.Errorf("%w (missing fields)", ErrCorrupt)
	}
	exp, err := time.Parse(time.RFC3339, d.Expires)
	if err != nil {
		return SSOToken{}, fmt.Errorf("%w (bad expiry)", ErrCorrupt)
	}
	var created time.Time
	if d.Created != "" {
		if created, err = time.Parse(time.RFC3339, d.Created); err != nil {
			return SSOToken{}, fmt.Errorf("%w (bad creation time)", ErrCorrupt)
		}
	}
	return SSOToken{SignInURL: d.SignInURL, AccessToken: d.AccessToken, Expires: exp.UTC(), Created: created.UTC()}, nil
}

// SetSSOToken stores (or replaces) the token for t.SignInURL.
func (s *Store) SetSSOToken(t SSOToken) error {
	if t.SignInURL == "" {
		return errors.New("store CloudSSO token: no sign-in URL")
	}
	if err := checkToken("CloudSSO access token", t.AccessToken); err != nil {
		return err
	}
	if t.Expires.IsZero() {
		return errors.New("store CloudSSO token: no expiry")
	}
	d := ssoTokenData{SignInURL: t.SignInURL, AccessToken: t.AccessToken, Expires: t.Expires.UTC().Format(time.RFC3339)}
	if !t.Created.IsZero() {
		d.Created = t.Created.UTC().Format(time.RFC3339)
	}
	return ssoItems.set(s, t.SignInURL, d)
}

// RemoveSSOToken deletes the token for signInURL, or reports ErrNotFound.
func (s *Store) RemoveSSOToken(signInURL string) error {
	return ssoItems.remove(s, signInURL)
}

// SSOTokens lists every stored CloudSSO token, sorted by key.
func (s *Store) SSOTokens() ([]SSOTokenEntry, error) { return ssoItems.list(s) }

// RemoveSSOTokenKey deletes a listed token item by key (for one that
// cannot be decoded, so its URL is unknown).
func (s *Store) RemoveSSOTokenKey(key string) error {
	if !strings.HasPrefix(key, ssoTokenPrefix) {
		return fmt.Errorf("invalid CloudSSO token key %q", key)
	}
	if _, err := s.removeListed(s.ring, key); err != nil {
		return fmt.Errorf("remove %s: %w", key, err)
	}
	return nil
}
