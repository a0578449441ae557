//go:build !linux

package e2e

import (
	"testing"

	"github.com/alirole/alirole/internal/testkit"
)

func needKeyctl(t *testing.T) {
	t.Helper()
	testkit.Unsupported(t, "keyring:keyctl", "the kernel keyring is Linux's")
}

func dropKeyctlRing(*testing.T, string) {}

func keyctlItems(t *testing.T, _ string) []string {
	t.Fatal("no kernel keyring here")
	return nil
}
