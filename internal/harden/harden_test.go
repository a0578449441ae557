package harden

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"testing"
)

// TestGuardedProcess runs itself as a child that guards its stdout, prints
// the way libraries do and writes its own output, then reports.
func TestGuardedProcess(t *testing.T) {
	if os.Getenv("HARDEN_CHILD") != "" {
		guardedChild()
		return
	}
	for _, mode := range []string{"close", "handover"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestGuardedProcess$")
		cmd.Env = append(os.Environ(), "HARDEN_CHILD="+mode)
		var out, errb strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s: %v\n%s", mode, err, errb.String())
		}
		if strings.Contains(out.String(), "LIBRARY") {
			t.Errorf("%s: a library print reached stdout: %q", mode, out.String())
		}
		if !strings.Contains(out.String(), "OWN OUTPUT") {
			t.Errorf("%s: the command's own output is missing: %q", mode, out.String())
		}
		if mode == "close" && !strings.Contains(errb.String(), "dropped=") || strings.Contains(errb.String(), "dropped=0") {
			t.Errorf("%s: drop count wrong: %q", mode, errb.String())
		}
		if mode == "handover" && !strings.Contains(out.String(), "AFTER HANDOVER") {
			t.Errorf("handover: fd 1 is not the real stdout again: %q", out.String())
		}
	}
}

func guardedChild() {
	g, err := GuardStdout()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	fmt.Println("LIBRARY print via os.Stdout")
	if runtime.GOOS != "windows" {
		syscall.Write(1, []byte("LIBRARY write to fd 1\n"))
	}
	fmt.Fprintln(g.Stdout(), "OWN OUTPUT")
	if os.Getenv("HARDEN_CHILD") == "handover" {
		if err := g.HandOver(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		fmt.Println("AFTER HANDOVER")
	}
	fmt.Fprintf(os.Stderr, "dropped=%d\n", g.Close())
	os.Exit(0)
}
