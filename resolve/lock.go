package resolve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/gofrs/flock"

	"github.com/alirole/alirole/internal/lockdir"
)

// DefaultLockDir is where lock files live: the per-user runtime dir when
// there is one (tmpfs, cleaned at logout), else the user cache dir, both
// read from getenv.
func DefaultLockDir(getenv func(string) string) (string, error) {
	if dir := getenv("XDG_RUNTIME_DIR"); dir != "" {
		return filepath.Join(dir, "alirole"), nil
	}
	dir, err := userCacheDir(getenv, runtime.GOOS)
	if err != nil {
		return "", fmt.Errorf("find a directory for lock files: %w", err)
	}
	return filepath.Join(dir, "alirole", "locks"), nil
}

// userCacheDir is os.UserCacheDir (go/src/os/file.go) over getenv instead
// of the process environment.
func userCacheDir(getenv func(string) string, goos string) (string, error) {
	var dir string
	switch goos {
	case "windows":
		dir = getenv("LocalAppData")
		if dir == "" {
			return "", errors.New("%LocalAppData% is not defined")
		}
	case "darwin", "ios":
		dir = getenv("HOME")
		if dir == "" {
			return "", errors.New("$HOME is not defined")
		}
		dir = filepath.Join(dir, "Library", "Caches")
	case "plan9":
		dir = getenv("home")
		if dir == "" {
			return "", errors.New("$home is not defined")
		}
		dir = filepath.Join(dir, "lib", "cache")
	default:
		dir = getenv("XDG_CACHE_HOME")
		if dir == "" {
			dir = getenv("HOME")
			if dir == "" {
				return "", errors.New("neither $XDG_CACHE_HOME nor $HOME are defined")
			}
			dir = filepath.Join(dir, ".cache")
		} else if !filepath.IsAbs(dir) {
			return "", errors.New("path in $XDG_CACHE_HOME is relative")
		}
	}
	return dir, nil
}

// staleLockAge is how old an unused lock file must be before it is removed.
// Lock files are removed by their holder on unlock; what is left comes from
// killed processes and older alirole versions.
const staleLockAge = 10 * time.Minute

// PrepareLockDir creates or checks the lock directory dir like every lock
// taken in it does (see prepareLockDir), for other files kept there (the
// keychain's session generation).
func PrepareLockDir(dir string) error { return prepareLockDir(dir, time.Now()) }

// prepareLockDir creates or checks the lock directory (internal/lockdir)
// and removes stale lock files.
func prepareLockDir(dir string, now time.Time) error {
	if err := lockdir.Prepare(dir); err != nil {
		return err
	}
	cleanStaleLocks(dir, now)
	return nil
}

// cleanStaleLocks removes lock files nobody has used for staleLockAge. A
// file is removed only while this process holds its lock and the path still
// names the locked file, so a process holding or waiting for it is never
// split from one that arrives later (see lockHop's same-file check).
func cleanStaleLocks(dir string, now time.Time) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	removed := 0
	for _, e := range entries {
		if removed >= 64 || !e.Type().IsRegular() || !isHopLockName(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil || info.Size() != 0 || now.Sub(info.ModTime()) < staleLockAge {
			continue
		}
		fl := newLockFile(filepath.Join(dir, e.Name()))
		if ok, err := fl.TryLock(); err != nil || !ok {
			continue
		}
		if sameLockFile(fl) {
			if os.Remove(fl.Path()) == nil {
				removed++
			}
		}
		_ = fl.Unlock()
	}
}

// isHopLockName matches the names lockHop gives (24 hex digits + ".lock"),
// so that cleaning never touches a file something else keeps here.
func isHopLockName(name string) bool {
	hexPart, ok := strings.CutSuffix(name, ".lock")
	if !ok || len(hexPart) != 24 {
		return false
	}
	_, err := hex.DecodeString(hexPart)
	return err == nil
}

// newLockFile opens lock files without following a symlink in their place
// (lockdir.OpenNoFollow is 0 where the OS has no such flag).
func newLockFile(path string) *flock.Flock {
	return flock.New(path, flock.SetPermissions(0o600), flock.SetFlag(os.O_CREATE|os.O_RDONLY|lockdir.OpenNoFollow))
}

// sameLockFile reports whether fl's locked file is still the one at its path.
func sameLockFile(fl *flock.Flock) bool {
	held, err := fl.Stat()
	if err != nil {
		return false
	}
	now, err := os.Lstat(fl.Path())
	return err == nil && os.SameFile(held, now)
}

// lockHop takes the cross-process lock for one hop's cache key, so that
// concurrent alirole runs make one STS call and the rest read the cache.
// flock(2) locks die with their process, so a killed holder never leaves a
// lock that blocks later runs. The holder removes the file before it
// unlocks; a waiter that then gets the lock on the removed file sees that
// the path no longer names it and starts over.
func (r *Resolver) lockHop(ctx context.Context, key string) (unlock func(), err error) {
	// Real time: stale-file ages compare with the file system's mtimes.
	if err := prepareLockDir(r.o.LockDir, time.Now()); err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(key))
	path := filepath.Join(r.o.LockDir, hex.EncodeToString(sum[:12])+".lock")
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, r.o.LockTimeout)
	defer cancel()
	stop := r.after(progressDelay, "waiting for another alirole process that is resolving the same role…")
	defer stop()
	for {
		fl := newLockFile(path)
		ok, err := fl.TryLockContext(ctx, 15*time.Millisecond)
		if err == nil && !ok {
			err = errors.New("not acquired")
		}
		if err != nil {
			if timedOut(parent) {
				return nil, fmt.Errorf("gave up after %s (the resolve timeout) waiting for another alirole process to finish resolving (lock %s)\n  what to do: allow more time with --resolve-timeout or ALIROLE_RESOLVE_TIMEOUT", r.o.Timeout, path)
			}
			if errors.Is(err, context.DeadlineExceeded) {
				return nil, fmt.Errorf("timed out after %s waiting for another alirole process to finish resolving (lock %s)", r.o.LockTimeout, path)
			}
			if lockdir.IsSymlinkLoop(err) {
				return nil, fmt.Errorf("lock file %s is a symbolic link, which alirole does not follow: remove it", path)
			}
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		if !sameLockFile(fl) {
			_ = fl.Unlock()
			continue
		}
		return func() {
			_ = os.Remove(path) // fails harmlessly where open files cannot be removed
			_ = fl.Unlock()
		}, nil
	}
}
