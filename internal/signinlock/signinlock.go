// Package signinlock is the cross-process lock that makes one sign-in
// (CloudSSO device flow, OAuth refresh) serve every alirole process: a
// flock(2) lock file per URL, which the kernel releases when its holder
// dies, so a killed process never leaves it held.
package signinlock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// Base is the path, without extension, of the lock of url in dir: prefix
// and 24 hex digits of the URL's SHA-256, so names stay short and carry
// no URL.
func Base(dir, prefix, url string) string {
	sum := sha256.Sum256([]byte(url))
	return filepath.Join(dir, prefix+hex.EncodeToString(sum[:12]))
}

// New returns the (unlocked) lock file base+".lock", creating dir
// (owner only) when needed.
func New(dir, base string) (*flock.Flock, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create lock directory: %w", err)
	}
	return flock.New(base+".lock", flock.SetPermissions(0o600)), nil
}

// Wait takes fl, trying every poll for at most timeout; it returns the
// error of the last try, context.DeadlineExceeded when time ran out.
func Wait(ctx context.Context, fl *flock.Flock, timeout, poll time.Duration) error {
	lctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ok, err := fl.TryLockContext(lctx, poll)
	if err == nil && !ok {
		err = errors.New("not acquired")
	}
	return err
}
