//go:build !unix

package lockdir

import "io/fs"

// Windows has no O_NOFOLLOW; its per-user profile directories are not
// writable by other users, and Go reports no owner or POSIX mode.
const openNoFollow = 0

func checkOwner(string, fs.FileInfo) error { return nil }

func modeMatters() bool { return false }

func isSymlinkLoop(error) bool { return false }
