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
	"time"

	"github.com/gofrs/flock"
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

// lockHop takes the cross-process lock for one hop's cache key, so that
// concurrent alirole runs make one STS call and the rest read the cache.
// flock(2) locks die with their process, so a killed holder never leaves a
// lock that blocks later runs.
func (r *Resolver) lockHop(ctx context.Context, key string) (unlock func(), err error) {
	if err := os.MkdirAll(r.o.LockDir, 0o700); err != nil {
		return nil, fmt.Errorf("create lock directory: %w", err)
	}
	sum := sha256.Sum256([]byte(key))
	path := filepath.Join(r.o.LockDir, hex.EncodeToString(sum[:12])+".lock")
	fl := flock.New(path, flock.SetPermissions(0o600))
	ctx, cancel := context.WithTimeout(ctx, r.o.LockTimeout)
	defer cancel()
	ok, err := fl.TryLockContext(ctx, 15*time.Millisecond)
	if err == nil && !ok {
		err = errors.New("not acquired")
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("timed out after %s waiting for another alirole process to finish resolving (lock %s)", r.o.LockTimeout, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { _ = fl.Unlock() }, nil
}
