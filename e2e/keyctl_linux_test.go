//go:build linux

package e2e

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// The kernel keyring exists only on Linux; keyctl_other_test.go keeps the
// e2e package compiling (and vetting) for darwin and windows.

// unlinkKeyctlRing clears and unlinks the named keyring from the user
// keyring, if it is there.
func unlinkKeyctlRing(name string) error {
	id, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "keyring", name, 0)
	if err != nil {
		return nil
	}
	unix.KeyctlInt(unix.KEYCTL_CLEAR, id, 0, 0, 0)
	_, err = unix.KeyctlInt(unix.KEYCTL_UNLINK, id, unix.KEY_SPEC_USER_KEYRING, 0, 0)
	return err
}

// probeKeyctl stores, reads back and deletes a key in the user keyring,
// which is what the backend needs; seccomp profiles of containers often
// refuse these calls.
func probeKeyctl(t *testing.T) error {
	want := []byte("probe")
	id, err := unix.AddKey("user", "alirole-e2e-probe-"+randomHex(t, 6), want, unix.KEY_SPEC_USER_KEYRING)
	if err != nil {
		return err
	}
	defer unix.KeyctlInt(unix.KEYCTL_UNLINK, id, unix.KEY_SPEC_USER_KEYRING, 0, 0)
	buf := make([]byte, 64)
	n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, id, buf, 0)
	if err != nil {
		return err
	}
	if !bytes.Equal(buf[:n], want) {
		return errors.New("a key read back differs from what was stored")
	}
	return nil
}

func keyctlItems(t *testing.T, name string) []string {
	t.Helper()
	ring, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "keyring", name, 0)
	if errors.Is(err, syscall.ENOKEY) {
		return nil
	}
	if err != nil {
		t.Fatalf("find keyring %s: %v", name, err)
	}
	var buf []byte
	for {
		n, err := unix.KeyctlBuffer(unix.KEYCTL_READ, ring, buf, 0)
		if err != nil {
			t.Fatalf("read keyring %s: %v", name, err)
		}
		if n <= len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, n)
	}
	var names []string
	for i := 0; i+4 <= len(buf); i += 4 {
		id := int(int32(binary.NativeEndian.Uint32(buf[i:])))
		desc, err := unix.KeyctlString(unix.KEYCTL_DESCRIBE, id)
		if err != nil {
			t.Fatalf("describe key %d: %v", id, err)
		}
		// type;uid;gid;perm;description
		if f := strings.SplitN(desc, ";", 5); len(f) == 5 && f[0] == "user" {
			names = append(names, f[4])
		}
	}
	return names
}
