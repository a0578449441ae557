package keychain

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"

	"github.com/99designs/keyring"
)

// ErrWrongPassphrase is wrapped when the file backend cannot decrypt an
// item's key with the passphrase given. It is kept apart from ErrCorrupt so
// that a mistyped passphrase never gets cached sessions pruned as damaged.
var ErrWrongPassphrase = errors.New("wrong passphrase for the file keychain")

// errEmptyPassphrase: the library treats "" as "not asked yet" and would ask
// again on every operation.
var errEmptyPassphrase = errors.New("the file keychain passphrase must not be empty")

// passphraseError marks failures of the passphrase source, so that they are
// reported as they are rather than as undecryptable items.
type passphraseError struct{ err error }

func (e *passphraseError) Error() string { return e.err.Error() }
func (e *passphraseError) Unwrap() error { return e.err }

func guardPassphrase(get func(string) (string, error)) keyring.PromptFunc {
	return func(label string) (string, error) {
		pw, err := get(label)
		if err != nil {
			return "", &passphraseError{err}
		}
		if pw == "" {
			return "", &passphraseError{errEmptyPassphrase}
		}
		return pw, nil
	}
}

// fileRing wraps the library's file backend to give its errors meaning
// (not found, wrong passphrase, corrupt item) and to refuse writing items
// under a passphrase that does not open the items already there.
type fileRing struct {
	inner keyring.Keyring
	// dir is the keychain directory. The library creates it on any use;
	// until the first write, fileRing answers for it instead, so that
	// looking (list, clear) leaves no directory behind.
	dir string
	// unlocker settles the passphrase (nil: the library asks as it likes).
	unlocker *fileUnlocker

	mu    sync.Mutex
	state passState
}

// passState is what is known about the passphrase in use.
type passState int

const (
	passUnknown passState = iota
	passGood              // it decrypted an item
	passBad               // no item decrypts, and some failed as a wrong passphrase would
)

var _ keyring.Keyring = (*fileRing)(nil)

func (r *fileRing) Get(key string) (keyring.Item, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	item, err := r.get(key)
	switch {
	case err == nil:
		r.state = passGood
	case errors.Is(err, ErrWrongPassphrase) && r.judge(key) == passGood:
		// A wrong passphrase and a damaged wrapped key look the same for
		// one item; a passphrase that opens the others settles it.
		return keyring.Item{}, fmt.Errorf("%w (file keychain: its key does not unwrap, though the passphrase opens other items)", ErrCorrupt)
	}
	return item, err
}

// judge settles whether the passphrase is right by decrypting the items
// other than skip, once per process; passUnknown means nothing to go by.
func (r *fileRing) judge(skip string) passState {
	if r.state != passUnknown {
		return r.state
	}
	keys, err := r.inner.Keys()
	if err != nil {
		return passUnknown
	}
	sawWrong := false
	for _, k := range keys {
		if k == skip {
			continue
		}
		_, err := r.get(k)
		switch {
		case err == nil:
			r.state = passGood
			return passGood
		case errors.Is(err, ErrWrongPassphrase):
			sawWrong = true
		}
	}
	if sawWrong {
		r.state = passBad
	}
	return r.state
}

// absent reports whether the keychain directory does not exist yet.
func (r *fileRing) absent() bool {
	if r.dir == "" {
		return false
	}
	_, err := os.Stat(r.dir)
	return errors.Is(err, fs.ErrNotExist)
}

func (r *fileRing) get(key string) (item keyring.Item, err error) {
	if r.absent() {
		return keyring.Item{}, keyring.ErrKeyNotFound
	}
	// The JWE decoder is fed whatever bytes are in the file; a malformed
	// file must come back as a corrupt item, not crash alirole.
	defer func() {
		if p := recover(); p != nil {
			item, err = keyring.Item{}, fmt.Errorf("%w (file keychain: decoder failed)", ErrCorrupt)
		}
	}()
	item, err = r.inner.Get(key)
	return item, classifyFileError(err)
}

func classifyFileError(err error) error {
	var pe *passphraseError
	var pathErr *fs.PathError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrKeyNotFound), errors.As(err, &pe), errors.As(err, &pathErr):
		return err
	// jose2go v1.5 reports a failed AES key unwrap (what a wrong PBES2
	// passphrase produces) only through this message; the tests pin it.
	case strings.Contains(err.Error(), "integrity check failed"):
		return ErrWrongPassphrase
	default:
		return fmt.Errorf("%w (file keychain: %v)", ErrCorrupt, err)
	}
}

func (r *fileRing) GetMetadata(key string) (keyring.Metadata, error) {
	if r.absent() {
		return keyring.Metadata{}, keyring.ErrKeyNotFound
	}
	return r.inner.GetMetadata(key)
}

// Set refuses to write under a passphrase that does not open the items
// already stored, so that a typo does not leave items encrypted under two
// different passphrases.
func (r *fileRing) Set(item keyring.Item) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.judge("") == passBad {
		return fmt.Errorf("refusing to write: the passphrase does not open the existing items: %w", ErrWrongPassphrase)
	}
	return r.inner.Set(item)
}

func (r *fileRing) Remove(key string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.absent() {
		return keyring.ErrKeyNotFound
	}
	err := r.inner.Remove(key)
	if errors.Is(err, fs.ErrNotExist) {
		return keyring.ErrKeyNotFound
	}
	return err
}

func (r *fileRing) Keys() ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.absent() {
		return nil, nil
	}
	return r.inner.Keys()
}

// Unlock asks for the passphrase now (confirming a new one, checking an
// existing one), so that a command can ask for it before other questions.
func (r *fileRing) Unlock() error {
	if r.unlocker == nil {
		return nil
	}
	if _, err := r.unlocker.passphrase(""); err != nil {
		return &passphraseError{err}
	}
	return nil
}
