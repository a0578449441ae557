package keychain

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/99designs/keyring"
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
type OAuthTokenEntry struct {
	Key   string
	Token OAuthToken
	Err   error
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
func OAuthTokenKey(oauthURL string) string {
	sum := sha256.Sum256([]byte(oauthURL))
	return oauthTokenPrefix + hex.EncodeToString(sum[:])[:hopHashLen]
}

// OAuthToken returns the tokens stored for oauthURL.
func (s *Store) OAuthToken(oauthURL string) (OAuthToken, error) {
	item, err := s.ring.Get(OAuthTokenKey(oauthURL))
	if err != nil {
		return OAuthToken{}, fmt.Errorf("OAuth token for %s: %w", oauthURL, mapGetError(err))
	}
	t, err := decodeOAuthToken(item.Data)
	if err != nil {
		return OAuthToken{}, fmt.Errorf("OAuth token for %s: %w", oauthURL, err)
	}
	if t.OAuthURL != oauthURL {
		return OAuthToken{}, fmt.Errorf("OAuth token for %s: %w (stored for another URL)", oauthURL, ErrCorrupt)
	}
	return t, nil
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
	data, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode OAuth token: %w", err)
	}
	err = s.ring.Set(keyring.Item{
		Key:                       OAuthTokenKey(t.OAuthURL),
		Data:                      data,
		Label:                     "alirole OAuth token for " + t.OAuthURL,
		Description:               "Alibaba Cloud OAuth refresh and access token",
		KeychainNotSynchronizable: true,
	})
	if err != nil {
		return fmt.Errorf("store OAuth token for %s: %w", t.OAuthURL, err)
	}
	return nil
}

// RemoveOAuthToken deletes the tokens of oauthURL, or reports ErrNotFound.
func (s *Store) RemoveOAuthToken(oauthURL string) error {
	if err := s.removeExisting(s.ring, OAuthTokenKey(oauthURL)); err != nil {
		return fmt.Errorf("remove OAuth token for %s: %w", oauthURL, err)
	}
	return nil
}

// OAuthTokens lists every stored OAuth token, sorted by key.
func (s *Store) OAuthTokens() ([]OAuthTokenEntry, error) {
	keys, err := keysOf(s.ring)
	if err != nil {
		return nil, err
	}
	var out []OAuthTokenEntry
	for _, k := range keys {
		if !strings.HasPrefix(k, oauthTokenPrefix) {
			continue
		}
		item, err := s.ring.Get(k)
		if isNotFound(err) {
			continue
		}
		e := OAuthTokenEntry{Key: k, Err: err}
		if err == nil {
			e.Token, e.Err = decodeOAuthToken(item.Data)
		}
		out = append(out, e)
	}
	return out, nil
}
