package keychain

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/99designs/keyring"
)

// Session cache locations, the values of --session-cache.
const (
	// SessionCacheKeyring keeps sessions in the same keyring as the
	// AccessKeys (the default).
	SessionCacheKeyring = "keyring"
	// SessionCacheKeyctl keeps sessions in the Linux kernel keyring.
	SessionCacheKeyctl = "keyctl"
)

// SessionCacheNames lists the valid session cache locations.
func SessionCacheNames() []string {
	return []string{SessionCacheKeyring, SessionCacheKeyctl}
}

// OpenSessionCache opens the kernel keyring (keyctl, user scope) that
// caches sessions for the keychain o describes. Sessions there are in
// kernel memory only, never on disk, and reading one needs neither a
// passphrase nor a key derivation: with the file backend that makes a
// cache hit prompt-free and about twice as fast. The keyring is named
// after o's backend, keyring name and directories, so two keychains never
// share sessions.
func OpenSessionCache(o Options) (keyring.Keyring, error) {
	o = o.withDefaults()
	b := backend{"keyctl", keyring.KeyCtlBackend, "Linux"}
	ring, err := openBackend(b, Options{KeyringName: SessionCacheName(o), Getenv: o.Getenv})
	if err != nil {
		return nil, fmt.Errorf("%w: session cache %s: %w; use --session-cache %s", ErrUnavailable, SessionCacheKeyctl, err, SessionCacheKeyring)
	}
	return ring, nil
}

// SessionCacheExists reports whether the kernel keyring OpenSessionCache
// would use for o is there, without creating it.
func SessionCacheExists(o Options) bool { return keyctlKeyringExists(SessionCacheName(o)) }

// SessionCacheName is the kernel keyring OpenSessionCache uses for the
// keychain o describes.
func SessionCacheName(o Options) string {
	o = o.withDefaults()
	sum := sha256.Sum256([]byte(strings.Join([]string{o.Backend, o.KeyringName, o.FileDir, o.PassDir}, "\x00")))
	return "alirole-sessions-" + hex.EncodeToString(sum[:8])
}
