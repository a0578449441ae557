package keychain

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/99designs/keyring"

	"github.com/alirole/alirole/internal/atomicfile"
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

// memoPassphrase asks get once and then reuses the passphrase it gave, so
// that the two file keyrings of a fileRing (items, staging) share one
// prompt.
func memoPassphrase(get keyring.PromptFunc) keyring.PromptFunc {
	var (
		mu sync.Mutex
		pw string
	)
	return func(label string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if pw != "" {
			return pw, nil
		}
		p, err := get(label)
		if err == nil {
			pw = p
		}
		return p, err
	}
}

// stagingName is the directory, inside the file keychain's, where the
// library writes an item before fileRing moves it into place. '~' is in no
// profile name or session key, so it can never be mistaken for an item.
const stagingName = ".~alirole-staging"

// fileRing wraps the library's file backend to give its errors meaning
// (not found, wrong passphrase, corrupt item), to refuse writing items
// under a passphrase that does not open the items already there, and to
// make writes crash-safe: the library writes an item in place
// (os.WriteFile: truncate, then write, no fsync), which a kill or crash
// leaves empty or torn. Set has it write into a staging directory on the
// same file system instead, then fsyncs the file and renames it over the
// item (see package atomicfile).
type fileRing struct {
	inner keyring.Keyring
	// dir is the file keychain directory. The library creates it on any
	// use; until the first write, fileRing answers for it instead, so that
	// looking (list, clear) leaves no directory behind. pw is its
	// (memoised) passphrase.
	dir string
	pw  keyring.PromptFunc
	// unlocker settles the passphrase (nil: the library asks as it likes).
	unlocker *fileUnlocker
	// staging is the library's file keyring over the staging directory,
	// opened at the first Set.
	staging keyring.Keyring

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
	keys, err := r.keys()
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
	return r.setAtomic(item)
}

// setAtomic stores item crash-safely: the library encrypts and writes it
// into the staging directory, and the complete file is fsynced and renamed
// over the item. A cross-process lock serialises writers, so whatever is in
// the staging directory when it is taken was left by a killed writer and is
// removed.
func (r *fileRing) setAtomic(item keyring.Item) error {
	// Ask for the passphrase before locking: no other alirole may wait on
	// this one's prompt.
	if _, err := r.pw(fmt.Sprintf("Enter passphrase to unlock %q", r.dir)); err != nil {
		return err
	}
	stage := filepath.Join(r.dir, stagingName)
	items := filepath.Join(stage, "items")
	unlock, err := atomicfile.Lock(context.Background(), items)
	if err != nil {
		return fmt.Errorf("file keychain: %w", err)
	}
	defer unlock()
	if err := os.RemoveAll(items); err != nil {
		return fmt.Errorf("file keychain: clean %s: %w", items, err)
	}
	if r.staging == nil {
		ring, err := keyring.Open(keyring.Config{
			AllowedBackends:  []keyring.BackendType{keyring.FileBackend},
			FileDir:          items,
			FilePasswordFunc: r.pw,
		})
		if err != nil {
			return fmt.Errorf("file keychain: open staging directory: %w", err)
		}
		r.staging = ring
	}
	if err := r.staging.Set(item); err != nil {
		return err
	}
	// The library names the file after the key; it is the only one there.
	entries, err := os.ReadDir(items)
	if err != nil {
		return fmt.Errorf("file keychain: %w", err)
	}
	if len(entries) != 1 {
		return fmt.Errorf("file keychain: %d files in the staging directory %s, want 1", len(entries), items)
	}
	name := entries[0].Name()
	if err := atomicfile.Replace(filepath.Join(items, name), filepath.Join(r.dir, name)); err != nil {
		return fmt.Errorf("file keychain: %w", err)
	}
	return nil
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
	if err == nil {
		atomicfile.SyncDir(r.dir)
	}
	return err
}

// Keys lists the items; the library lists every directory entry, so the
// staging directory is left out here.
func (r *fileRing) Keys() ([]string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.absent() {
		return nil, nil
	}
	return r.keys()
}

func (r *fileRing) keys() ([]string, error) {
	keys, err := r.inner.Keys()
	if err != nil {
		return nil, err
	}
	out := keys[:0]
	for _, k := range keys {
		if k != stagingName {
			out = append(out, k)
		}
	}
	return out, nil
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
