//go:build !unix

package resolve

import (
	"context"
	"errors"
	"time"

	"github.com/gofrs/flock"
)

// lockFile locks path with LockFileEx (gofrs/flock). The file stays: an
// open file cannot be removed on Windows, so the unix trick of removing it
// under the lock does not apply.
func lockFile(ctx context.Context, path string, poll time.Duration) (unlock func(), err error) {
	fl := flock.New(path, flock.SetPermissions(0o600))
	ok, err := fl.TryLockContext(ctx, poll)
	if err == nil && !ok {
		err = errors.New("not acquired")
	}
	if err != nil {
		return nil, err
	}
	return func() { _ = fl.Unlock() }, nil
}
