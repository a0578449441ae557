package keychain

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// oauthTokenPrefix is the namespace of OAuth tokens: one item per OAuth
// service URL (https://oauth.aliyun.com, https://oauth.alibabacloud.com).
const oauthTokenPrefix = "oauth-token:"

// OAuthToken is the refresh and access token of one OAuth site. The
// refresh token rotates: every refresh returns a new one and spends the
// old, so it is stored again at once.
type OAuthToken struct {
	Site         string // CN or INTL
	OAuthURL     string
	RefreshToken string
	AccessToken  string
	// AccessExpires is when the access token expires (zero: unknown).
	AccessExpires time.Time
	Created       time.Time
}

// OAuthTokenEntry is one listed token; Err is set when it could not be read.
type OAuthTokenEntry = TokenEntry[OAuthToken]

var oauthItems = tokenItems[OAuthToken]{
	prefix: oauthTokenPrefix,
	what:   "OAuth token",
	desc:   "Alibaba Cloud OAuth refresh and access token",
	decode: decodeOAuthToken,
	urlOf:  func(t OAuthToken) string { return t.OAuthURL },
}

type oauthTokenData struct {
	Site          string `json:"site"`
	OAuthURL      string `json:"oauth_url"`
	RefreshToken  string `json:"refresh_token"`
	AccessToken   string `json:"access_token,omitempty"`
	AccessExpires string `json:"access_expires,omitempty"`
	Created       string `json:"created,omitempty"`
}

// OAuthTokenKey names the item of oauthURL.
func OAuthTokenKey(oauthURL string) string { return oauthItems.key(oauthURL) }

// OAuthToken returns the tokens stored for oauthURL.
func (s *Store) OAuthToken(oauthURL string) (OAuthToken, error) {
	return oauthItems.get(s, oauthURL)
}

func decodeOAuthToken(data []byte) (OAuthToken, error) {
	var d oauthTokenData
	if err := json.Unmarshal(data, &d); err != nil {
		return OAuthToken{}, fmt.Errorf("%w (undecodable)", ErrCorrupt)
	}
	if d.OAuthURL == "" || d.RefreshToken == "" {
		return OAuthToken{}, fmt.Errorf("%w (missing fields)", ErrCorrupt)
	}
	t := OAuthToken{Site: d.Site, OAuthURL: d.OAuthURL, RefreshToken: d.RefreshToken, AccessToken: d.AccessToken}
	for _, f := range []struct {
		v   string
		dst *time.Time
	}{{d.AccessExpires, &t.AccessExpires}, {d.Created, &t.Created}} {
		if f.v == "" {
			continue
		}
		v, err := time.Parse(time.RFC3339, f.v)
		if err != nil {
			return OAuthToken{}, fmt.Errorf("%w (bad time)", ErrCorrupt)
		}
		*f.dst = v.UTC()
	}
	return t, nil
}

// SetOAuthToken stores (or replaces) the tokens of t.OAuthURL.
func (s *Store) SetOAuthToken(t OAuthToken) error {
	if t.OAuthURL == "" {
		return errors.New("store OAuth token: no OAuth URL")
	}
	if err := checkToken("OAuth refresh token", t.RefreshToken); err != nil {
		return err
	}
	if t.AccessToken != "" {
		if err := checkToken("OAuth access token", t.AccessToken); err != nil {
			return err
		}
	}
	d := oauthTokenData{Site: t.Site, OAuthURL: t.OAuthURL, RefreshToken: t.RefreshToken, AccessToken: t.AccessToken}
	if !t.AccessExpires.IsZero() {
		d.AccessExpires = t.AccessExpires.UTC().Format(time.RFC3339)
	}
	if !t.Created.IsZero() {
		d.Created = t.Created.UTC().Format(time.RFC3339)
	}
	return oauthItems.set(s, t.OAuthURL, d)
}

// RemoveOAuthToken deletes the tokens of oauthURL, or reports ErrNotFound.
func (s *Store) RemoveOAuthToken(oauthURL string) error {
	return oauthItems.remove(s, oauthURL)
}

// OAuthTokens lists every stored OAuth token, sorted by key.
func (s *Store) OAuthTokens() ([]OAuthTokenEntry, error) { return oauthItems.list(s) }
