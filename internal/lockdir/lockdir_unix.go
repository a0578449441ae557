//go:build unix

package lockdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

const openNoFollow = syscall.O_NOFOLLOW

func checkOwner(dir string, fi fs.FileInfo) error {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if uid := os.Getuid(); int(st.Uid) != uid {
		return fmt.Errorf("lock directory %s belongs to uid %d, not to you (uid %d), so that user could block or redirect alirole's locks", dir, st.Uid, uid)
	}
	return nil
}

func modeMatters() bool { return true }

func isSymlinkLoop(err error) bool { return errors.Is(err, syscall.ELOOP) }
