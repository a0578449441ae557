//go:build !unix

package resolve

import "io/fs"

// Windows has no O_NOFOLLOW; its per-user profile directories are not
// writable by other users, and Go reports no owner or POSIX mode.
const openNoFollow = 0

func checkLockDirOwner(string, fs.FileInfo) error { return nil }

func lockDirModeMatters() bool { return false }

func isSymlinkLoop(error) bool { return false }
