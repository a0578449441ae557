//go:build unix

package resolve

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Holders remove the lock file while others wait on it: still never two
// holders at once, and no file left at the end.
func TestLockFileExclusiveWhileRemoved(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hop.lock")
	var holders, maxHolders, rounds atomic.Int32
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				unlock, err := lockFile(context.Background(), path, time.Millisecond)
				if err != nil {
					t.Error(err)
					return
				}
				if n := holders.Add(1); n > maxHolders.Load() {
					maxHolders.Store(n)
				}
				time.Sleep(20 * time.Microsecond)
				holders.Add(-1)
				rounds.Add(1)
				unlock()
			}
		}()
	}
	wg.Wait()
	t.Logf("%d lock rounds, at most %d holder(s) at once", rounds.Load(), maxHolders.Load())
	if maxHolders.Load() != 1 {
		t.Errorf("%d holders at once", maxHolders.Load())
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("lock file left behind (%v)", err)
	}
}
