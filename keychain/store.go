package keychain

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/99designs/keyring"

	"github.com/alirole/alirole/internal/creds"
)

// ErrNotFound is wrapped when the keychain has no such access key or session.
var ErrNotFound = errors.New("not found in keychain")

// ErrCorrupt is wrapped when an item exists but cannot be decoded.
var ErrCorrupt = errors.New("keychain item is corrupt")

// sessionPrefix keeps sessions in their own namespace: profile names cannot
// contain ':', so no access key item can start with it.
const sessionPrefix = "session:"

// hopHashLen is how many hex digits of the hop identity's SHA-256 name a
// session: 128 bits, far beyond any collision risk among one user's roles.
const hopHashLen = 32

// AccessKey is a long-term Alibaba Cloud AccessKey pair.
type AccessKey struct{ ID, Secret string }

// Session is a cached set of STS credentials for one profile and hop chain.
type Session struct {
	Profile     string
	RoleArn     string
	SessionName string
	Credentials creds.Credentials
	Created     time.Time
}

// SessionEntry is one listed session; Err is set (wrapping ErrCorrupt,
// ErrWrongPassphrase or a backend error) when it could not be read.
type SessionEntry struct {
	Key     string
	Session Session
	Err     error
}

// Store keeps access keys in a keyring, and sessions in the same keyring
// or, when split, in a keyring of their own (see NewSplit).
type Store struct {
	ring     keyring.Keyring
	sessions keyring.Keyring
	// alsoClear opens another place sessions may have been cached in (nil
	// keyring: none), for ClearSessions; see NewSplit and ClearAlso.
	alsoClear func() (keyring.Keyring, error)
	// gen orders session stores after the clears that began before them
	// (see Generation).
	gen generations

	mu sync.Mutex
	// written holds the expiry of each session stored through this Store,
	// so that PruneExpired, which runs right after a new session is cached,
	// need not read it back: on the file backend every read costs a PBKDF2
	// key derivation (about 1.5 ms).
	written map[string]time.Time
}

// New returns a Store over ring (as returned by Open, or an in-memory
// keyring in tests).
// Its keyring calls are made one at a time (see serialRing), so a Store may
// be used from several goroutines.
func New(ring keyring.Keyring) *Store {
	ring = serialise(&sync.Mutex{}, ring)
	return &Store{ring: ring, sessions: ring, gen: &memGenerations{}}
}

// Unlock makes a keychain that needs a passphrase (the file backend) ask
// for it now; other keychains do nothing. add calls it before prompting for
// the AccessKey, so that a passphrase mistake does not lose the typing.
func (s *Store) Unlock() error {
	if u, ok := s.ring.(interface{ Unlock() error }); ok {
		return u.Unlock()
	}
	return nil
}

// NewSplit returns a Store that keeps access keys in ring and sessions in
// sessions (the kernel keyring session cache, see OpenSessionCache).
// ClearSessions clears both, so that sessions cached before the split
// cannot outlive a rotated or removed key.
func NewSplit(ring, sessions keyring.Keyring) *Store {
	mu := &sync.Mutex{}
	ring, sessions = serialise(mu, ring), serialise(mu, sessions)
	s := &Store{ring: ring, sessions: sessions, gen: &memGenerations{}}
	s.ClearAlso(func() (keyring.Keyring, error) { return ring, nil })
	return s
}

// ClearAlso makes ClearSessions also clear the sessions in the keyring
// open returns (nil: there is none), such as a kernel-keyring session cache
// used at other times: sessions made with a key that is removed or rotated
// must not survive anywhere. It replaces what NewSplit set.
func (s *Store) ClearAlso(open func() (keyring.Keyring, error)) { s.alsoClear = open }

// ValidProfileName reports whether name can be used as a profile name:
// letters, digits and "_.@-".
func ValidProfileName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("_.@-", r)) {
			return false
		}
	}
	return true
}

func checkProfile(name string) error {
	if !ValidProfileName(name) {
		return fmt.Errorf("invalid profile name %q: use letters, digits and _ . @ -", name)
	}
	return nil
}

type accessKeyData struct {
	ID     string `json:"access_key_id"`
	Secret string `json:"access_key_secret"`
}

// AccessKey returns the access key stored for profile.
func (s *Store) AccessKey(profile string) (AccessKey, error) {
	if err := checkProfile(profile); err != nil {
		return AccessKey{}, err
	}
	item, err := s.ring.Get(profile)
	if err != nil {
		return AccessKey{}, fmt.Errorf("access key for profile %q: %w", profile, mapGetError(err))
	}
	var d accessKeyData
	if err := json.Unmarshal(item.Data, &d); err != nil {
		return AccessKey{}, fmt.Errorf("access key for profile %q: %w (undecodable)", profile, ErrCorrupt)
	}
	if d.ID == "" || d.Secret == "" {
		return AccessKey{}, fmt.Errorf("access key for profile %q: %w (missing id or secret)", profile, ErrCorrupt)
	}
	return AccessKey{ID: d.ID, Secret: d.Secret}, nil
}

// SetAccessKey stores (or replaces) the access key of profile.
func (s *Store) SetAccessKey(profile string, ak AccessKey) error {
	if err := checkProfile(profile); err != nil {
		return err
	}
	if err := checkToken("access key id", ak.ID); err != nil {
		return err
	}
	if err := checkToken("access key secret", ak.Secret); err != nil {
		return err
	}
	data, err := json.Marshal(accessKeyData{ID: ak.ID, Secret: ak.Secret})
	if err != nil {
		return fmt.Errorf("encode access key: %w", err)
	}
	err = s.ring.Set(keyring.Item{
		Key:                       profile,
		Data:                      data,
		Label:                     "alirole access key for profile " + profile,
		Description:               "Alibaba Cloud long-term AccessKey",
		KeychainNotSynchronizable: true,
	})
	if err != nil {
		return fmt.Errorf("store access key for profile %q: %w", profile, err)
	}
	return nil
}

// checkToken rejects empty values and ones with whitespace or control
// characters, which are always paste accidents in AccessKeys and tokens.
func checkToken(what, v string) error {
	if v == "" {
		return fmt.Errorf("%s is empty", what)
	}
	for _, r := range v {
		if r <= ' ' || r == 0x7f {
			return fmt.Errorf("%s contains whitespace or control characters", what)
		}
	}
	return nil
}

// RemoveAccessKey deletes the access key of profile; its cached sessions
// are left to the caller (see ClearSessions).
func (s *Store) RemoveAccessKey(profile string) error {
	if err := checkProfile(profile); err != nil {
		return err
	}
	if err := s.removeExisting(s.ring, profile); err != nil {
		return fmt.Errorf("remove access key for profile %q: %w", profile, err)
	}
	return nil
}

// HasAccessKey reports whether profile has a stored access key, without
// decrypting it (so without a passphrase prompt on the file backend).
func (s *Store) HasAccessKey(profile string) (bool, error) {
	if err := checkProfile(profile); err != nil {
		return false, err
	}
	keys, err := keysOf(s.ring)
	if err != nil {
		return false, err
	}
	return slices.Contains(keys, profile), nil
}

// Profiles lists, sorted, the profiles that have a stored access key.
func (s *Store) Profiles() ([]string, error) {
	keys, err := keysOf(s.ring)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, k := range keys {
		if ValidProfileName(k) {
			out = append(out, k)
		}
	}
	return out, nil
}

// SessionKey names the session of profile reached through the hop chain
// described by hopIdentity (any stable string: role ARNs, session names,
// source profile...). The identity is hashed so the key reveals nothing and
// stays short.
func SessionKey(profile, hopIdentity string) string {
	sum := sha256.Sum256([]byte(hopIdentity))
	return sessionPrefix + profile + ":" + hex.EncodeToString(sum[:])[:hopHashLen]
}

// parseSessionKey returns the profile a session key belongs to.
func parseSessionKey(key string) (string, error) {
	rest, ok := strings.CutPrefix(key, sessionPrefix)
	profile, hash, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 || !ValidProfileName(profile) || len(hash) != hopHashLen || strings.Trim(hash, "0123456789abcdef") != "" {
		return "", fmt.Errorf("invalid session key %q", key)
	}
	return profile, nil
}

type sessionData struct {
	Profile         string `json:"profile"`
	RoleArn         string `json:"role_arn,omitempty"`
	SessionName     string `json:"session_name,omitempty"`
	AccessKeyID     string `json:"access_key_id"`
	AccessKeySecret string `json:"access_key_secret"`
	SecurityToken   string `json:"security_token"`
	Expiration      string `json:"expiration"`
	Created         string `json:"created,omitempty"`
}

// Session returns the cached session stored under key (see SessionKey). It
// is one keyring read; expiry is the caller's business.
func (s *Store) Session(key string) (Session, error) {
	profile, err := parseSessionKey(key)
	if err != nil {
		return Session{}, err
	}
	item, err := s.sessions.Get(key)
	if err != nil {
		return Session{}, fmt.Errorf("session %s: %w", key, mapGetError(err))
	}
	sess, err := decodeSession(item.Data, profile)
	if err != nil {
		return Session{}, fmt.Errorf("session %s: %w", key, err)
	}
	return sess, nil
}

func decodeSession(data []byte, profile string) (Session, error) {
	var d sessionData
	if err := json.Unmarshal(data, &d); err != nil {
		return Session{}, fmt.Errorf("%w (undecodable)", ErrCorrupt)
	}
	if d.Profile != profile {
		return Session{}, fmt.Errorf("%w (stored for profile %q)", ErrCorrupt, d.Profile)
	}
	if d.AccessKeyID == "" || d.AccessKeySecret == "" || d.SecurityToken == "" || d.Expiration == "" {
		return Session{}, fmt.Errorf("%w (missing credential fields)", ErrCorrupt)
	}
	exp, err := time.Parse(time.RFC3339, d.Expiration)
	if err != nil {
		return Session{}, fmt.Errorf("%w (bad expiration)", ErrCorrupt)
	}
	var created time.Time
	if d.Created != "" {
		if created, err = time.Parse(time.RFC3339, d.Created); err != nil {
			return Session{}, fmt.Errorf("%w (bad creation time)", ErrCorrupt)
		}
	}
	return Session{
		Profile:     d.Profile,
		RoleArn:     d.RoleArn,
		SessionName: d.SessionName,
		Credentials: creds.Credentials{
			AccessKeyID:     d.AccessKeyID,
			AccessKeySecret: d.AccessKeySecret,
			SecurityToken:   d.SecurityToken,
			Expiration:      exp.UTC(),
		},
		Created: created.UTC(),
	}, nil
}

// SetSession stores sess under key whatever the generation; sessions that
// were fetched go through SetSessionSince. Only STS credentials with an
// expiry are accepted: a long-term key must never land in the session cache.
func (s *Store) SetSession(key string, sess Session) error {
	return s.setSession(nil, key, sess)
}

// SetSessionSince stores sess under key only if the session generation is
// still gen, read before the fetch began: a session fetched while a key it
// may depend on was removed, replaced or rotated is refused with
// ErrStaleSession, so no clear is ever undone by a fetch in flight.
func (s *Store) SetSessionSince(gen Generation, key string, sess Session) error {
	return s.setSession(&gen, key, sess)
}

func (s *Store) setSession(since *Generation, key string, sess Session) error {
	profile, err := parseSessionKey(key)
	if err != nil {
		return err
	}
	if sess.Profile != profile {
		return fmt.Errorf("session for profile %q cannot be stored under key %s", sess.Profile, key)
	}
	c := sess.Credentials
	if c.SecurityToken == "" {
		return errors.New("refusing to cache credentials without a security token: they would be a long-term access key")
	}
	if !c.Expires() {
		return errors.New("refusing to cache a session without an expiration")
	}
	for _, f := range []struct{ what, v string }{
		{"access key id", c.AccessKeyID}, {"access key secret", c.AccessKeySecret}, {"security token", c.SecurityToken},
	} {
		if err := checkToken(f.what, f.v); err != nil {
			return fmt.Errorf("session for profile %q: %w", profile, err)
		}
	}
	d := sessionData{
		Profile:         sess.Profile,
		RoleArn:         sess.RoleArn,
		SessionName:     sess.SessionName,
		AccessKeyID:     c.AccessKeyID,
		AccessKeySecret: c.AccessKeySecret,
		SecurityToken:   c.SecurityToken,
		Expiration:      c.Expiration.UTC().Format(time.RFC3339),
	}
	if !sess.Created.IsZero() {
		d.Created = sess.Created.UTC().Format(time.RFC3339)
	}
	data, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode session: %w", err)
	}
	err = s.gen.store(func(cur string) error {
		if since != nil && since.v != cur {
			return ErrStaleSession
		}
		return s.sessions.Set(keyring.Item{
			Key:                       key,
			Data:                      data,
			Label:                     "alirole session for profile " + profile,
			Description:               "Alibaba Cloud STS session cached by alirole",
			KeychainNotSynchronizable: true,
		})
	})
	if err != nil {
		return fmt.Errorf("store session for profile %q: %w", profile, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.written == nil {
		s.written = map[string]time.Time{}
	}
	s.written[key] = c.Expiration
	return nil
}

// RemoveSession deletes the session stored under key.
func (s *Store) RemoveSession(key string) error {
	if _, err := parseSessionKey(key); err != nil {
		return err
	}
	if err := s.removeExisting(s.sessions, key); err != nil {
		return fmt.Errorf("remove session %s: %w", key, err)
	}
	return nil
}

// sessionKeys lists, sorted, the keys in ring's session namespace of
// profile ("" = every profile), including malformed ones.
func sessionKeys(ring keyring.Keyring, profile string) ([]string, error) {
	prefix := sessionPrefix
	if profile != "" {
		if err := checkProfile(profile); err != nil {
			return nil, err
		}
		prefix += profile + ":"
	}
	keys, err := keysOf(ring)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, k := range keys {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out, nil
}

// Sessions lists the sessions of profile ("" = all), sorted by key. An item
// that cannot be read is listed with Err set instead of failing the list.
func (s *Store) Sessions(profile string) ([]SessionEntry, error) {
	keys, err := sessionKeys(s.sessions, profile)
	if err != nil {
		return nil, err
	}
	var out []SessionEntry
	for _, k := range keys {
		if e, ok := s.entry(k); ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// entry reads one listed session key; ok is false when the item has been
// removed since it was listed.
func (s *Store) entry(k string) (SessionEntry, bool) {
	if _, err := parseSessionKey(k); err != nil {
		return SessionEntry{Key: k, Err: fmt.Errorf("%w: %w", ErrCorrupt, err)}, true
	}
	sess, err := s.Session(k)
	if errors.Is(err, ErrNotFound) {
		return SessionEntry{}, false
	}
	return SessionEntry{Key: k, Session: sess, Err: err}, true
}

// ClearSessions removes every session of profile ("" = all) and returns how
// many were removed. Items are not decrypted, so this works even when they
// cannot be read. It starts a new session generation first, so a session
// whose fetch began before the clear is never stored after it (see
// SetSessionSince).
func (s *Store) ClearSessions(profile string) (n int, err error) {
	err = s.gen.clear(func() error {
		n, err = s.clearSessions(profile)
		return err
	})
	return n, err
}

func (s *Store) clearSessions(profile string) (int, error) {
	rings := []keyring.Keyring{s.sessions}
	if s.alsoClear != nil {
		other, err := s.alsoClear()
		if err != nil {
			return 0, fmt.Errorf("clear sessions: %w", err)
		}
		if other != nil {
			rings = append(rings, other)
		}
	}
	n := 0
	for _, ring := range rings {
		keys, err := sessionKeys(ring, profile)
		if err != nil {
			return n, err
		}
		for _, k := range keys {
			removed, err := s.removeListed(ring, k)
			if err != nil {
				return n, fmt.Errorf("clear sessions: remove %s: %w", k, err)
			}
			if removed {
				n++
			}
		}
	}
	return n, nil
}

// PruneExpired removes the sessions of profile ("" = all) that have expired
// at now or are corrupt, and returns how many it removed. It stops at the
// first item it cannot judge (wrong passphrase, backend failure) rather
// than deleting what it could not read.
//
// A session this Store wrote and knows to be still valid is kept without
// being read. Should another process have replaced it since, the
// replacement is left for a later prune or for resolve, which drops
// corrupt entries under its lock.
func (s *Store) PruneExpired(profile string, now time.Time) (int, error) {
	keys, err := sessionKeys(s.sessions, profile)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, k := range keys {
		if s.knownValid(k, now) {
			continue
		}
		e, ok := s.entry(k)
		if !ok {
			continue
		}
		switch {
		case e.Err != nil && !errors.Is(e.Err, ErrCorrupt):
			return n, fmt.Errorf("prune sessions: %w", e.Err)
		case e.Err == nil && e.Session.Credentials.ValidFor(now, 0):
			continue
		}
		removed, err := s.removeListed(s.sessions, e.Key)
		if err != nil {
			return n, fmt.Errorf("prune sessions: remove %s: %w", e.Key, err)
		}
		if removed {
			n++
		}
	}
	return n, nil
}

// knownValid reports whether key holds a session this Store wrote that
// has not expired at now.
func (s *Store) knownValid(key string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.written[key]
	return ok && exp.After(now)
}

func keysOf(ring keyring.Keyring) ([]string, error) {
	keys, err := ring.Keys()
	if err != nil {
		return nil, fmt.Errorf("list keychain: %w", err)
	}
	slices.Sort(keys)
	return keys, nil
}

// removeExisting removes key, or reports ErrNotFound. Existence is checked
// by listing because some backends (secret-service) silently accept
// removing a missing item.
func (s *Store) removeExisting(ring keyring.Keyring, key string) error {
	keys, err := keysOf(ring)
	if err != nil {
		return err
	}
	if !slices.Contains(keys, key) {
		return ErrNotFound
	}
	removed, err := s.removeListed(ring, key)
	if err != nil {
		return err
	}
	if !removed {
		return ErrNotFound
	}
	return nil
}

// removeListed removes a key that was just listed; it having vanished in
// the meantime (another alirole) is not an error.
func (s *Store) removeListed(ring keyring.Keyring, key string) (bool, error) {
	s.mu.Lock()
	delete(s.written, key)
	s.mu.Unlock()
	err := ring.Remove(key)
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, nil
}

func isNotFound(err error) bool {
	return errors.Is(err, keyring.ErrKeyNotFound) || errors.Is(err, fs.ErrNotExist)
}

func mapGetError(err error) error {
	if isNotFound(err) {
		return ErrNotFound
	}
	return err
}
