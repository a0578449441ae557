//go:build unix

package resolve

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// lockFile takes an exclusive flock(2) on path, polling until ctx ends. The
// holder removes the file when it is done, so the lock directory does not
// keep one empty file per hop ever resolved. That is safe because a
// process that acquires the lock then checks that path still names the
// file it locked: one that waited on a file since removed retries with a
// fresh one, so two holders never coexist.
func lockFile(ctx context.Context, path string, poll time.Duration) (unlock func(), err error) {
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, err
		}
		fd := int(f.Fd())
		for {
			err = unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
			if err == nil || !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
				break
			}
			select {
			case <-ctx.Done():
				f.Close()
				return nil, ctx.Err()
			case <-time.After(poll):
			}
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("flock: %w", err)
		}
		var held, named unix.Stat_t
		if unix.Fstat(fd, &held) == nil && unix.Stat(path, &named) == nil && held.Dev == named.Dev && held.Ino == named.Ino {
			return func() {
				// Remove before unlocking: a waiter then finds its file
				// gone and starts over.
				_ = os.Remove(path)
				_ = unix.Flock(fd, unix.LOCK_UN)
				_ = f.Close()
			}, nil
		}
		f.Close() // the previous holder removed it: lock the current one
	}
}
