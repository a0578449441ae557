package resolve

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// DefaultLockDir is where lock files live: the per-user runtime dir when
// there is one (tmpfs, cleaned at logout), else the user cache dir.
func DefaultLockDir(getenv func(string) string) (string, error) {
	if dir := getenv("XDG_RUNTIME_DIR"); dir != "" {
		return filepath.Join(dir, "alirole"), nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find a directory for lock files: %w", err)
	}
	return filepath.Join(dir, "alirole", "locks"), nil
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
	ctx, cancel := context.WithTimeout(ctx, r.o.LockTimeout)
	defer cancel()
	unlock, err = lockFile(ctx, path, 15*time.Millisecond)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("timed out after %s waiting for another alirole process to finish resolving (lock %s)", r.o.LockTimeout, path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return unlock, nil
}
