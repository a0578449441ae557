package keychain

import (
	"sync"

	"github.com/99designs/keyring"
)

// serialRing makes one call at a time to a keyring: not every backend is
// safe for concurrent use (the file backend's key derivation and item
// writes, pass's gpg runs, D-Bus sessions), and resolve stores one hop's
// session while the next hop reads the keychain. The rings of one Store
// share mu, so a split Store is serial across both.
type serialRing struct {
	mu    *sync.Mutex
	inner keyring.Keyring
}

func serialise(mu *sync.Mutex, ring keyring.Keyring) keyring.Keyring {
	return serialRing{mu: mu, inner: ring}
}

func (r serialRing) Get(key string) (keyring.Item, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inner.Get(key)
}

func (r serialRing) GetMetadata(key string) (keyring.Metadata, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inner.GetMetadata(key)
}

func (r serialRing) Set(item keyring.Item) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inner.Set(item)
}

func (r serialRing) Remove(key string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inner.Remove(key)
}

func (r serialRing) Keys() ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.inner.Keys()
}

// Unlock forwards to a ring that asks for a passphrase up front (the file
// backend, see Store.Unlock); other rings have nothing to unlock.
func (r serialRing) Unlock() error {
	u, ok := r.inner.(interface{ Unlock() error })
	if !ok {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return u.Unlock()
}
