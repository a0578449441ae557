package keychain

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/99designs/keyring"

	"github.com/alirole/alirole/internal/creds"
)

var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func stsSession(profile string, exp time.Time) Session {
	return Session{
		Profile:     profile,
		RoleArn:     "acs:ram::1234567890:role/" + profile,
		SessionName: "alirole-" + profile,
		Credentials: creds.Credentials{
			AccessKeyID:     "STS.id-" + profile,
			AccessKeySecret: "sts-secret-" + profile,
			SecurityToken:   "token-" + profile,
			Expiration:      exp,
		},
		Created: exp.Add(-time.Hour),
	}
}

// countingRing records the calls the store makes, and can fail chosen keys.
type countingRing struct {
	keyring.Keyring
	gets, keys, removes int
	failGet             map[string]error
	failKeys            error
}

func (r *countingRing) Get(key string) (keyring.Item, error) {
	r.gets++
	if err := r.failGet[key]; err != nil {
		return keyring.Item{}, err
	}
	return r.Keyring.Get(key)
}

func (r *countingRing) Keys() ([]string, error) {
	r.keys++
	if r.failKeys != nil {
		return nil, r.failKeys
	}
	return r.Keyring.Keys()
}

func (r *countingRing) Remove(key string) error {
	r.removes++
	return r.Keyring.Remove(key)
}

func newMemStore() (*Store, *countingRing) {
	ring := &countingRing{Keyring: keyring.NewArrayKeyring(nil)}
	return New(ring), ring
}

func TestAccessKeyRoundTrip(t *testing.T) {
	s, ring := newMemStore()
	if ok, err := s.HasAccessKey("dev"); err != nil || ok {
		t.Fatalf("HasAccessKey before set = %v, %v", ok, err)
	}
	if _, err := s.AccessKey("dev"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("AccessKey before set: err = %v, want ErrNotFound", err)
	}
	want := AccessKey{ID: "LTAI5tExampleID", Secret: "exampleSecretValue"}
	if err := s.SetAccessKey("dev", want); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAccessKey("prod.eu@corp", AccessKey{ID: "id2", Secret: "s2"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.AccessKey("dev")
	if err != nil || got != want {
		t.Fatalf("AccessKey = %+v, %v; want %+v", got, err, want)
	}
	item, err := ring.Keyring.Get("dev")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(item.Label, "dev") || item.Description == "" || !item.KeychainNotSynchronizable || item.KeychainNotTrustApplication {
		t.Errorf("item metadata = %+v", item)
	}
	if ok, err := s.HasAccessKey("dev"); err != nil || !ok {
		t.Fatalf("HasAccessKey after set = %v, %v", ok, err)
	}
	// Sessions share the keyring but are not profiles with access keys.
	if err := s.SetSession(SessionKey("dev", "hop"), stsSession("dev", t0)); err != nil {
		t.Fatal(err)
	}
	profiles, err := s.Profiles()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(profiles, []string{"dev", "prod.eu@corp"}) {
		t.Errorf("Profiles = %q", profiles)
	}
	// Replacing keeps one item.
	want2 := AccessKey{ID: "newID", Secret: "newSecret"}
	if err := s.SetAccessKey("dev", want2); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.AccessKey("dev"); got != want2 {
		t.Errorf("after replace AccessKey = %+v", got)
	}
	if err := s.RemoveAccessKey("dev"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AccessKey("dev"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after remove: err = %v, want ErrNotFound", err)
	}
	if err := s.RemoveAccessKey("dev"); !errors.Is(err, ErrNotFound) {
		t.Errorf("second remove: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Session(SessionKey("dev", "hop")); err != nil {
		t.Errorf("removing the access key touched its session: %v", err)
	}
}

func TestProfileNameValidation(t *testing.T) {
	s, _ := newMemStore()
	ak := AccessKey{ID: "id", Secret: "secret"}
	for _, name := range []string{"", "a b", "a:b", "session:x", "x/y", "tab\t", "ünï"} {
		if err := s.SetAccessKey(name, ak); err == nil {
			t.Errorf("SetAccessKey(%q) accepted", name)
		}
		if _, err := s.AccessKey(name); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("AccessKey(%q) err = %v, want validation error", name, err)
		}
		if err := s.RemoveAccessKey(name); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("RemoveAccessKey(%q) err = %v", name, err)
		}
		if _, err := s.HasAccessKey(name); err == nil {
			t.Errorf("HasAccessKey(%q) accepted", name)
		}
	}
	for _, name := range []string{"a", "A-b_c.d@e", "0"} {
		if err := s.SetAccessKey(name, ak); err != nil {
			t.Errorf("SetAccessKey(%q): %v", name, err)
		}
	}
}

func TestSetAccessKeyRejectsBadValues(t *testing.T) {
	s, _ := newMemStore()
	for _, ak := range []AccessKey{
		{ID: "", Secret: "Zq9SecretValue"},
		{ID: "id", Secret: ""},
		{ID: "id\n", Secret: "Zq9SecretValue"},
		{ID: "id", Secret: "Zq9Secret Value"},
	} {
		err := s.SetAccessKey("dev", ak)
		if err == nil {
			t.Errorf("SetAccessKey(%q) accepted", ak.ID)
			continue
		}
		if ak.Secret != "" && strings.Contains(err.Error(), ak.Secret) {
			t.Errorf("error leaks the secret: %v", err)
		}
	}
}

func TestAccessKeyCorrupt(t *testing.T) {
	for _, data := range []string{"", "not json", `{"access_key_id":"x"}`, `{"access_key_secret":"y"}`} {
		ring := keyring.NewArrayKeyring([]keyring.Item{{Key: "dev", Data: []byte(data)}})
		if _, err := New(ring).AccessKey("dev"); !errors.Is(err, ErrCorrupt) {
			t.Errorf("data %q: err = %v, want ErrCorrupt", data, err)
		}
	}
}

func TestSessionKey(t *testing.T) {
	k := SessionKey("dev", "acs:ram::1:role/a|acs:ram::2:role/b")
	if !regexp.MustCompile(`^session:dev:[0-9a-f]{32}$`).MatchString(k) {
		t.Fatalf("SessionKey = %q", k)
	}
	sum := sha256.Sum256([]byte("acs:ram::1:role/a|acs:ram::2:role/b"))
	if want := "session:dev:" + hex.EncodeToString(sum[:16]); k != want {
		t.Errorf("SessionKey = %q, want %q", k, want)
	}
	if k != SessionKey("dev", "acs:ram::1:role/a|acs:ram::2:role/b") {
		t.Error("SessionKey is not deterministic")
	}
	if k == SessionKey("dev", "acs:ram::1:role/a") || k == SessionKey("dev2", "acs:ram::1:role/a|acs:ram::2:role/b") {
		t.Error("different hops or profiles share a key")
	}
	if strings.Contains(k, "role") {
		t.Error("key reveals the hop identity")
	}
}

func TestSessionRoundTrip(t *testing.T) {
	s, ring := newMemStore()
	key := SessionKey("dev", "hop")
	want := stsSession("dev", t0.In(time.FixedZone("X", 3600)))
	if err := s.SetSession(key, want); err != nil {
		t.Fatal(err)
	}
	ring.gets, ring.keys = 0, 0
	got, err := s.Session(key)
	if err != nil {
		t.Fatal(err)
	}
	if ring.gets != 1 || ring.keys != 0 {
		t.Errorf("Session made %d gets and %d listings, want 1 and 0", ring.gets, ring.keys)
	}
	if !got.Credentials.Expiration.Equal(want.Credentials.Expiration) || !got.Created.Equal(want.Created) {
		t.Errorf("times = %v / %v, want %v / %v", got.Credentials.Expiration, got.Created, want.Credentials.Expiration, want.Created)
	}
	got.Credentials.Expiration, got.Created = want.Credentials.Expiration, want.Created
	if got != want {
		t.Errorf("Session = %+v, want %+v", got, want)
	}
	item, _ := ring.Keyring.Get(key)
	if !strings.Contains(string(item.Data), `"expiration":"2030-01-02T03:04:05Z"`) {
		t.Errorf("stored data has no RFC3339 UTC expiration: %s", item.Data)
	}
	if !strings.Contains(item.Label, "dev") {
		t.Errorf("label = %q", item.Label)
	}
	if _, err := s.Session(SessionKey("dev", "other")); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing session: err = %v, want ErrNotFound", err)
	}
}

func TestSetSessionRefuses(t *testing.T) {
	s, ring := newMemStore()
	key := SessionKey("dev", "hop")
	noToken := stsSession("dev", t0)
	noToken.Credentials.SecurityToken = ""
	noExpiry := stsSession("dev", time.Time{})
	noSecret := stsSession("dev", t0)
	noSecret.Credentials.AccessKeySecret = ""
	tests := []struct {
		name string
		key  string
		sess Session
	}{
		{"long-term key", key, noToken},
		{"no expiration", key, noExpiry},
		{"no secret", key, noSecret},
		{"profile mismatch", key, stsSession("prod", t0)},
		{"not a session key", "dev", stsSession("dev", t0)},
		{"bad profile in key", "session:a b:" + strings.Repeat("0", 32), stsSession("a b", t0)},
		{"short hash", "session:dev:abc", stsSession("dev", t0)},
	}
	for _, tc := range tests {
		if err := s.SetSession(tc.key, tc.sess); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
	if keys, _ := ring.Keys(); len(keys) != 0 {
		t.Errorf("refused sessions were stored: %q", keys)
	}
}

func TestSessionCorrupt(t *testing.T) {
	key := SessionKey("dev", "hop")
	tests := map[string]string{
		"garbage":        "\x00\x01garbage",
		"empty object":   "{}",
		"no token":       `{"profile":"dev","access_key_id":"a","access_key_secret":"b","expiration":"2030-01-01T00:00:00Z"}`,
		"bad expiration": `{"profile":"dev","access_key_id":"a","access_key_secret":"b","security_token":"c","expiration":"tomorrow"}`,
		"other profile":  `{"profile":"prod","access_key_id":"a","access_key_secret":"b","security_token":"c","expiration":"2030-01-01T00:00:00Z"}`,
	}
	for name, data := range tests {
		ring := keyring.NewArrayKeyring([]keyring.Item{{Key: key, Data: []byte(data)}})
		_, err := New(ring).Session(key)
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrCorrupt", name, err)
		}
	}
}

// seed stores an access key for dev and prod, sessions for both (one
// expired each), a corrupt session for dev, and a session for "dev2" whose
// name has dev as a prefix.
func seed(t *testing.T, s *Store, ring keyring.Keyring, now time.Time) (devValid, devExpired, devCorrupt, prodValid, prodExpired, dev2 string) {
	t.Helper()
	for _, p := range []string{"dev", "prod", "dev2"} {
		if err := s.SetAccessKey(p, AccessKey{ID: "id-" + p, Secret: "secret-" + p}); err != nil {
			t.Fatal(err)
		}
	}
	devValid, devExpired, devCorrupt = SessionKey("dev", "a"), SessionKey("dev", "b"), SessionKey("dev", "c")
	prodValid, prodExpired, dev2 = SessionKey("prod", "a"), SessionKey("prod", "b"), SessionKey("dev2", "b")
	for key, sess := range map[string]Session{
		devValid:    stsSession("dev", now.Add(time.Hour)),
		devExpired:  stsSession("dev", now), // expiring exactly now counts as expired
		prodValid:   stsSession("prod", now.Add(time.Minute)),
		prodExpired: stsSession("prod", now.Add(-time.Hour)),
		dev2:        stsSession("dev2", now.Add(-time.Hour)),
	} {
		if err := s.SetSession(key, sess); err != nil {
			t.Fatal(err)
		}
	}
	if err := ring.Set(keyring.Item{Key: devCorrupt, Data: []byte("{broken")}); err != nil {
		t.Fatal(err)
	}
	return
}

func keySet(t *testing.T, ring keyring.Keyring) []string {
	t.Helper()
	keys, err := ring.Keys()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	return keys
}

func without(all []string, drop ...string) []string {
	var out []string
	for _, k := range all {
		if !slices.Contains(drop, k) {
			out = append(out, k)
		}
	}
	return out
}

func TestSessionsListing(t *testing.T) {
	s, ring := newMemStore()
	devValid, devExpired, devCorrupt, _, _, _ := seed(t, s, ring, t0)
	entries, err := s.Sessions("dev")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range entries {
		keys = append(keys, e.Key)
		switch e.Key {
		case devCorrupt:
			if !errors.Is(e.Err, ErrCorrupt) {
				t.Errorf("corrupt entry err = %v", e.Err)
			}
		default:
			if e.Err != nil || e.Session.Profile != "dev" {
				t.Errorf("entry %s = %+v", e.Key, e)
			}
		}
	}
	want := []string{devValid, devExpired, devCorrupt}
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Errorf("Sessions(dev) keys = %q, want %q", keys, want)
	}
	all, err := s.Sessions("")
	if err != nil || len(all) != 6 {
		t.Errorf("Sessions(\"\") = %d entries, %v; want 6", len(all), err)
	}
	if _, err := s.Sessions("bad name"); err == nil {
		t.Error("Sessions accepted an invalid profile")
	}
}

func TestClearSessions(t *testing.T) {
	s, ring := newMemStore()
	devValid, devExpired, devCorrupt, _, _, _ := seed(t, s, ring, t0)
	before := keySet(t, ring)
	n, err := s.ClearSessions("dev")
	if err != nil || n != 3 {
		t.Fatalf("ClearSessions(dev) = %d, %v; want 3", n, err)
	}
	if got, want := keySet(t, ring), without(before, devValid, devExpired, devCorrupt); !slices.Equal(got, want) {
		t.Errorf("after clear keys = %q, want %q", got, want)
	}
	n, err = s.ClearSessions("")
	if err != nil || n != 3 {
		t.Fatalf("ClearSessions(all) = %d, %v; want 3", n, err)
	}
	if got := keySet(t, ring); !slices.Equal(got, []string{"dev", "dev2", "prod"}) {
		t.Errorf("after clearing all, keys = %q; access keys must remain", got)
	}
}

func TestPruneExpired(t *testing.T) {
	s, ring := newMemStore()
	_, devExpired, devCorrupt, _, prodExpired, dev2 := seed(t, s, ring, t0)
	before := keySet(t, ring)
	n, err := s.PruneExpired("dev", t0)
	if err != nil || n != 2 {
		t.Fatalf("PruneExpired(dev) = %d, %v; want 2", n, err)
	}
	if got, want := keySet(t, ring), without(before, devExpired, devCorrupt); !slices.Equal(got, want) {
		t.Errorf("after prune(dev) keys = %q, want %q", got, want)
	}
	n, err = s.PruneExpired("", t0)
	if err != nil || n != 2 {
		t.Fatalf("PruneExpired(all) = %d, %v; want 2", n, err)
	}
	if got, want := keySet(t, ring), without(before, devExpired, devCorrupt, prodExpired, dev2); !slices.Equal(got, want) {
		t.Errorf("after prune(all) keys = %q, want %q", got, want)
	}
	// Later, everything left has expired.
	n, err = s.PruneExpired("", t0.Add(2*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("PruneExpired(later) = %d, %v; want 2", n, err)
	}
}

func TestPruneStopsOnUnreadableItem(t *testing.T) {
	s, ring := newMemStore()
	_, devExpired, _, _, _, _ := seed(t, s, ring, t0)
	locked := errors.New("collection is locked")
	ring.failGet = map[string]error{devExpired: locked}
	before := keySet(t, ring)
	if _, err := s.PruneExpired("dev", t0); !errors.Is(err, locked) {
		t.Fatalf("err = %v, want the backend error", err)
	}
	if got := keySet(t, ring); !slices.Contains(got, devExpired) {
		t.Errorf("unreadable item was removed; keys %q (before %q)", got, before)
	}
	entries, err := s.Sessions("dev")
	if err != nil {
		t.Fatalf("Sessions failed on one unreadable item: %v", err)
	}
	for _, e := range entries {
		if e.Key == devExpired && !errors.Is(e.Err, locked) {
			t.Errorf("entry err = %v", e.Err)
		}
	}
}

func TestRemoveSession(t *testing.T) {
	s, _ := newMemStore()
	key := SessionKey("dev", "x")
	if err := s.RemoveSession(key); !errors.Is(err, ErrNotFound) {
		t.Errorf("remove missing: err = %v", err)
	}
	if err := s.SetSession(key, stsSession("dev", t0)); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveSession(key); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(key); !errors.Is(err, ErrNotFound) {
		t.Errorf("after remove: err = %v", err)
	}
	if err := s.RemoveSession("dev"); err == nil {
		t.Error("RemoveSession accepted an access key name")
	}
}

func TestListingErrorsPropagate(t *testing.T) {
	s, ring := newMemStore()
	boom := errors.New("bus gone")
	ring.failKeys = boom
	if _, err := s.Profiles(); !errors.Is(err, boom) {
		t.Errorf("Profiles err = %v", err)
	}
	if _, err := s.HasAccessKey("dev"); !errors.Is(err, boom) {
		t.Errorf("HasAccessKey err = %v", err)
	}
	if _, err := s.ClearSessions(""); !errors.Is(err, boom) {
		t.Errorf("ClearSessions err = %v", err)
	}
	if _, err := s.PruneExpired("", t0); !errors.Is(err, boom) {
		t.Errorf("PruneExpired err = %v", err)
	}
}

// A split Store keeps sessions out of the access-key keyring, and its
// ClearSessions also removes sessions cached there before the split.
func TestSplitStore(t *testing.T) {
	main, sessions := keyring.NewArrayKeyring(nil), keyring.NewArrayKeyring(nil)
	// A session cached while sessions still lived with the keys.
	before := SessionKey("dev", "old")
	if err := New(main).SetSession(before, stsSession("dev", t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	s := NewSplit(main, sessions)
	if err := s.SetAccessKey("dev", AccessKey{ID: "LTAI5tSplitKey", Secret: "split-secret"}); err != nil {
		t.Fatal(err)
	}
	key := SessionKey("dev", "hop")
	if err := s.SetSession(key, stsSession("dev", t0.Add(time.Hour))); err != nil {
		t.Fatal(err)
	}
	if _, err := sessions.Get(key); err != nil {
		t.Errorf("session not in the session keyring: %v", err)
	}
	if _, err := main.Get(key); err == nil {
		t.Error("session also written to the access-key keyring")
	}
	if _, err := sessions.Get("dev"); err == nil {
		t.Error("access key written to the session keyring")
	}
	if got, err := s.Session(key); err != nil || got.Credentials.AccessKeyID == "" {
		t.Errorf("Session = %+v, %v", got, err)
	}
	if entries, err := s.Sessions(""); err != nil || len(entries) != 1 || entries[0].Key != key {
		t.Errorf("Sessions lists %+v, %v; want only the split session", entries, err)
	}
	if profiles, err := s.Profiles(); err != nil || !slices.Equal(profiles, []string{"dev"}) {
		t.Errorf("Profiles = %q, %v", profiles, err)
	}
	if n, err := s.ClearSessions("dev"); err != nil || n != 2 {
		t.Fatalf("ClearSessions = %d, %v; want both sessions removed", n, err)
	}
	for name, ring := range map[string]keyring.Keyring{"session": sessions, "access-key": main} {
		if keys, _ := sessionKeys(ring, ""); len(keys) != 0 {
			t.Errorf("%s keyring still has %q", name, keys)
		}
	}
	if _, err := s.AccessKey("dev"); err != nil {
		t.Errorf("ClearSessions touched the access key: %v", err)
	}
}
