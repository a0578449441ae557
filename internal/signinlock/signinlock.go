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
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"

	"github.com/alirole/alirole/internal/lockdir"
)

// Base is the path, without extension, of the lock of url in dir: prefix
// and 24 hex digits of the URL's SHA-256, so names stay short and carry
// no URL.
func Base(dir, prefix, url string) string {
	sum := sha256.Sum256([]byte(url))
	return filepath.Join(dir, prefix+hex.EncodeToString(sum[:12]))
}

// New returns the (unlocked) lock file base+".lock", creating dir or
// checking the one there like every lock of alirole's (internal/lockdir);
// the file is opened without following a symlink in its place.
func New(dir, base string) (*flock.Flock, error) {
	if err := lockdir.Prepare(dir); err != nil {
		return nil, err
	}
	return flock.New(base+".lock", flock.SetPermissions(0o600), flock.SetFlag(os.O_CREATE|os.O_RDONLY|lockdir.OpenNoFollow)), nil
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
