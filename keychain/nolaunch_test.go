package keychain

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
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

// TestBusOnlyForBusBackends: with a non-D-Bus backend chosen, a run never
// touches the session bus (no probe, no connection from the keyring's
// init); with the default backend the bus is probed, and a wedged one costs
// at most the probe's timeout instead of hanging the command. Either way
// the program sees DBUS_SESSION_BUS_ADDRESS as it was.
func TestBusOnlyForBusBackends(t *testing.T) {
	if want, ok := os.LookupEnv("NOLAUNCH_TEST_BUS"); ok {
		if got := os.Getenv("DBUS_SESSION_BUS_ADDRESS"); got != want {
			t.Fatalf("DBUS_SESSION_BUS_ADDRESS = %q after init, want %q", got, want)
		}
		return
	}
	if runtime.GOOS != "linux" {
		t.Skip("package nolaunch acts on linux")
	}
	// A bus that accepts connections and never answers.
	path := filepath.Join(t.TempDir(), "wedged-bus")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	var accepted atomic.Int32
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			t.Cleanup(func() { c.Close() })
		}
	}()
	addr := "unix:path=" + path
	// (The --backend flag is covered by nolaunch's TestMayOpenBus: the
	// test binary would reject it.)
	for _, c := range []struct {
		name string
		env  []string
		bus  bool
	}{
		{"ALIROLE_BACKEND=file", []string{"ALIROLE_BACKEND=file"}, false},
		{"ALIROLE_BACKEND=keyctl", []string{"ALIROLE_BACKEND=keyctl"}, false},
		{"default backend", nil, true},
		{"ALIROLE_BACKEND=secret-service", []string{"ALIROLE_BACKEND=secret-service"}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := accepted.Load()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestBusOnlyForBusBackends$")
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") && !strings.HasPrefix(kv, "ALIROLE_BACKEND=") {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			cmd.Env = append(append(cmd.Env, c.env...), "DBUS_SESSION_BUS_ADDRESS="+addr, "NOLAUNCH_TEST_BUS="+addr)
			start := time.Now()
			out, err := cmd.CombinedOutput()
			took := time.Since(start)
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			if took > 10*time.Second {
				t.Errorf("child took %s: a wedged bus must cost at most the probe's timeout", took)
			}
			if touched := accepted.Load() > before; touched != c.bus {
				t.Errorf("bus contacted = %v, want %v", touched, c.bus)
			}
		})
	}
}
