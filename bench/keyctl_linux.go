//go:build linux

package main

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// unlinkKeyctlKeyring drops the named keyring the keyctl backend created
// under the user keyring, so that the bench leaves nothing behind.
func unlinkKeyctlKeyring(name string) error {
	id, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "keyring", name, 0)
	if err != nil {
		return fmt.Errorf("find keyring %s: %w", name, err)
	}
	if _, err := unix.KeyctlInt(unix.KEYCTL_UNLINK, id, unix.KEY_SPEC_USER_KEYRING, 0, 0); err != nil {
		return fmt.Errorf("unlink keyring %s: %w", name, err)
	}
	return nil
}
