package keychain

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/99designs/keyring"
)

// TokenEntry is one listed sign-in token item; Err is set when it could
// not be read.
type TokenEntry[T any] struct {
	Key   string
	Token T
	Err   error
}

// tokenItems is one kind of sign-in token item (CloudSSO, OAuth): one item
// per URL, named by a hash of the URL under prefix so that item names stay
// short and uniform. Profile names cannot contain ':', so no access key
// item can start with a prefix.
type tokenItems[T any] struct {
	prefix string
	what   string // "CloudSSO token", "OAuth token"
	desc   string // the item's description in the keychain
	decode func([]byte) (T, error)
	urlOf  func(T) string
}

func (k tokenItems[T]) key(url string) string {
	sum := sha256.Sum256([]byte(url))
	return k.prefix + hex.EncodeToString(sum[:])[:hopHashLen]
}

// get returns the token stored for url; an item naming another URL (a
// hash collision or a tampered item) is corrupt.
func (k tokenItems[T]) get(s *Store, url string) (T, error) {
	var zero T
	item, err := s.ring.Get(k.key(url))
	if err != nil {
		return zero, fmt.Errorf("%s for %s: %w", k.what, url, mapGetError(err))
	}
	t, err := k.decode(item.Data)
	if err != nil {
		return zero, fmt.Errorf("%s for %s: %w", k.what, url, err)
	}
	if k.urlOf(t) != url {
		return zero, fmt.Errorf("%s for %s: %w (stored for another URL)", k.what, url, ErrCorrupt)
	}
	return t, nil
}

// set stores (or replaces) the encoded form d of the token of url.
func (k tokenItems[T]) set(s *Store, url string, d any) error {
	data, err := json.Marshal(d)
	if err != nil {
		return fmt.Errorf("encode %s: %w", k.what, err)
	}
	err = s.ring.Set(keyring.Item{
		Key:                       k.key(url),
		Data:                      data,
		Label:                     "alirole " + k.what + " for " + url,
		Description:               k.desc,
		KeychainNotSynchronizable: true,
	})
	if err != nil {
		return fmt.Errorf("store %s for %s: %w", k.what, url, err)
	}
	return nil
}

// remove deletes the token of url, or reports ErrNotFound.
func (k tokenItems[T]) remove(s *Store, url string) error {
	if err := s.removeExisting(s.ring, k.key(url)); err != nil {
		return fmt.Errorf("remove %s for %s: %w", k.what, url, err)
	}
	return nil
}

// list returns every stored token of this kind, sorted by key.
func (k tokenItems[T]) list(s *Store) ([]TokenEntry[T], error) {
	keys, err := keysOf(s.ring)
	if err != nil {
		return nil, err
	}
	var out []TokenEntry[T]
	for _, key := range keys {
		if !strings.HasPrefix(key, k.prefix) {
			continue
		}
		item, err := s.ring.Get(key)
		if isNotFound(err) {
			continue
		}
		e := TokenEntry[T]{Key: key, Err: err}
		if err == nil {
			e.Token, e.Err = k.decode(item.Data)
		}
		out = append(out, e)
	}
	return out, nil
}
