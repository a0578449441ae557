//go:build !linux

package e2e

import (
	"errors"
	"testing"
)

// Without a kernel keyring every keyctl test skips (probeKeyctl fails first).

func unlinkKeyctlRing(string) error { return nil }

func probeKeyctl(*testing.T) error { return errors.New("the kernel keyring exists only on Linux") }

func keyctlItems(t *testing.T, _ string) []string {
	t.Helper()
	t.Fatal("keyctl is Linux only")
	return nil
}
