//go:build unix

package harden

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestNoCoreDumpsAndRestore(t *testing.T) {
	var before unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &before); err != nil {
		t.Fatal(err)
	}
	restore, err := NoCoreDumps()
	if err != nil {
		t.Fatal(err)
	}
	var during unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &during); err != nil {
		t.Fatal(err)
	}
	if during.Cur != 0 || during.Max != before.Max {
		t.Fatalf("core limit %d/%d, want 0/%d", during.Cur, during.Max, before.Max)
	}
	if err := restore(); err != nil {
		t.Fatal(err)
	}
	var after unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &after); err != nil || after != before {
		t.Fatalf("restored limit %+v, want %+v (%v)", after, before, err)
	}
}
