package harden

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestNotDumpable(t *testing.T) {
	if _, err := NoCoreDumps(); err != nil {
		t.Fatal(err)
	}
	v, err := unix.PrctlRetInt(unix.PR_GET_DUMPABLE, 0, 0, 0, 0)
	if err != nil || v != 0 {
		t.Fatalf("dumpable = %d (%v), want 0", v, err)
	}
}
