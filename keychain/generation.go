package keychain

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/gofrs/flock"

	"github.com/alirole/alirole/internal/atomicfile"
)

// ErrStaleSession is wrapped by SetSessionSince when sessions were cleared
// (a key removed, replaced or rotated, or 'alirole clear') after the
// session's fetch began: it may have been made with a key that is gone, so
// it is not cached.
var ErrStaleSession = errors.New("session not cached: the keychain's sessions were cleared while it was fetched")

// Generation names one state of the session cache: every ClearSessions
// starts a new one. A resolution reads it before it reads any key or
// session, and stores what it fetched only if it is still current.
type Generation struct{ v string }

// generations is the rule between ClearSessions and SetSessionSince: a
// clear starts a new generation and removes the sessions with no store in
// between, so a session fetched before the clear can never be stored after
// it, in this process or another.
type generations interface {
	current() (string, error)
	// store runs fn with the current generation while no clear can start.
	store(fn func(cur string) error) error
	// clear starts a new generation and runs fn before any store can run.
	clear(fn func() error) error
}

// memGenerations serves one process (in-memory keyrings, tests).
type memGenerations struct {
	mu sync.RWMutex
	n  int
}

func (g *memGenerations) current() (string, error) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return fmt.Sprint(g.n), nil
}

func (g *memGenerations) store(fn func(string) error) error {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return fn(fmt.Sprint(g.n))
}

func (g *memGenerations) clear(fn func() error) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n++
	return fn()
}

// fileGenerations serves every alirole process of the user: the generation
// is a random token in a file (rewritten crash-safely at each clear), and
// an flock beside it is held shared by stores and exclusively by clears.
// The token is random rather than a counter so that a lost file (a tmpfs
// emptied at logout) cannot bring an old generation back.
type fileGenerations struct {
	path string
	// prepare creates or checks the directory the file is in, before each
	// use (nil: only create it).
	prepare func() error
}

func (g fileGenerations) ready() error {
	if g.prepare != nil {
		return g.prepare()
	}
	return os.MkdirAll(filepath.Dir(g.path), 0o700)
}

// genLockTimeout bounds the wait for another process's store or clear.
const genLockTimeout = time.Minute

func (g fileGenerations) current() (string, error) {
	if err := g.ready(); err != nil {
		return "", fmt.Errorf("session generation: %w", err)
	}
	b, err := os.ReadFile(g.path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read session generation: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

func (g fileGenerations) lock(exclusive bool) (func(), error) {
	if err := g.ready(); err != nil {
		return nil, fmt.Errorf("session generation: %w", err)
	}
	fl := flock.New(g.path+".lock", flock.SetPermissions(0o600))
	ctx, cancel := context.WithTimeout(context.Background(), genLockTimeout)
	defer cancel()
	try := fl.TryRLockContext
	if exclusive {
		try = fl.TryLockContext
	}
	ok, err := try(ctx, 10*time.Millisecond)
	if err == nil && !ok {
		err = errors.New("not acquired")
	}
	if err != nil {
		return nil, fmt.Errorf("lock session generation %s: %w", fl.Path(), err)
	}
	return func() { _ = fl.Unlock() }, nil
}

func (g fileGenerations) store(fn func(string) error) error {
	unlock, err := g.lock(false)
	if err != nil {
		return err
	}
	defer unlock()
	cur, err := g.current()
	if err != nil {
		return err
	}
	return fn(cur)
}

func (g fileGenerations) clear(fn func() error) error {
	unlock, err := g.lock(true)
	if err != nil {
		return err
	}
	defer unlock()
	// The lock directory is shared ground: never write through a link
	// someone planted there.
	if fi, err := os.Lstat(g.path); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("session generation: %s is not a regular file; remove it", g.path)
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("session generation: %w", err)
	}
	// The new generation is durable before any session is removed: a kill
	// in between leaves sessions that no fetch begun earlier can add to.
	atomicfile.CleanTemps(g.path) // under the exclusive lock: a killed clear's
	if err := atomicfile.WriteFile(g.path, []byte(hex.EncodeToString(b[:])+"\n"), 0o600); err != nil {
		return fmt.Errorf("session generation: %w", err)
	}
	return fn()
}

// ShareGenerations makes the session generation rule (see Generation) hold
// across every process that uses the same path; without it, it holds
// within this process only. path lives in the per-user lock directory;
// prepare, if set, creates or checks that directory before each use, so a
// command that never needs the generation never touches it.
func (s *Store) ShareGenerations(path string, prepare func() error) {
	s.gen = fileGenerations{path: path, prepare: prepare}
}

// Generation returns the current session generation, to be passed to
// SetSessionSince for sessions fetched from now on.
func (s *Store) Generation() (Generation, error) {
	v, err := s.gen.current()
	if err != nil {
		return Generation{}, err
	}
	return Generation{v: v}, nil
}
