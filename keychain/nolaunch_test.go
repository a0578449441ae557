package keychain

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestNoDbusLaunch starts a process that links the keyring with no session
// bus and a dbus-launch on PATH that leaves a mark if run: godbus would run
// it (and leak a dbus-daemon) unless package nolaunch intervenes.
func TestNoDbusLaunch(t *testing.T) {
	if marker := os.Getenv("NOLAUNCH_TEST_MARKER"); marker != "" {
		if _, err := os.Stat(marker); err == nil {
			t.Fatal("dbus-launch was run during package initialisation")
		}
		if v, ok := os.LookupEnv("DBUS_SESSION_BUS_ADDRESS"); ok {
			t.Fatalf("DBUS_SESSION_BUS_ADDRESS left set to %q", v)
		}
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("the dbus-launch fallback is on linux")
	}
	for _, name := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(filepath.Join(fmt.Sprintf("/run/user/%d", os.Getuid()), name)); err == nil {
			t.Skip("a user session bus exists, so godbus would not try dbus-launch")
		}
	}
	bin := t.TempDir()
	marker := filepath.Join(t.TempDir(), "launched")
	script := "#!/bin/sh\ntouch \"$NOLAUNCH_TEST_MARKER\"\nexit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "dbus-launch"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestNoDbusLaunch$", "-test.v")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") && !strings.HasPrefix(kv, "PATH=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "NOLAUNCH_TEST_MARKER="+marker)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestNoDbusLaunch") {
		t.Fatalf("child did not run the check:\n%s", out)
	}
}
