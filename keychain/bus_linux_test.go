package keychain

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus"
)

// startSessionBus runs a private dbus-daemon for the test, or skips.
func startSessionBus(t *testing.T) string {
	t.Helper()
	daemon, err := exec.LookPath("dbus-daemon")
	if err != nil {
		t.Skip("dbus-daemon not installed")
	}
	// A config of our own, so that no service installed on the machine
	// (gnome-keyring, kwalletd) is activatable on this bus.
	dir := t.TempDir()
	conf := filepath.Join(dir, "bus.conf")
	err = os.WriteFile(conf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=`+filepath.Join(dir, "bus")+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(daemon, "--config-file="+conf, "--nofork", "--nopidfile", "--print-address=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("cannot start dbus-daemon: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case addr := <-line:
		if addr == "" {
			t.Skip("dbus-daemon printed no address")
		}
		return addr
	case <-time.After(5 * time.Second):
		t.Skip("dbus-daemon did not start")
	}
	return ""
}

func TestSessionBusProbe(t *testing.T) {
	addr := startSessionBus(t)
	getenv := envMap(map[string]string{"DBUS_SESSION_BUS_ADDRESS": addr})

	// A bus with no keyring daemon on it.
	_, err := Open(Options{Backend: "secret-service", Getenv: getenv})
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "no Secret Service provider") {
		t.Fatalf("bus without provider: err = %v", err)
	}
	if err := checkSessionBus(getenv, "org.freedesktop.secrets", "missing"); err == nil || err.Error() != "missing" {
		t.Fatalf("probe without provider = %v", err)
	}

	// Once something owns the name, the probe lets it through.
	conn := dialBus(t, addr)
	if _, err := conn.RequestName("org.freedesktop.secrets", dbus.NameFlagDoNotQueue); err != nil {
		t.Fatal(err)
	}
	if err := checkSessionBus(getenv, "org.freedesktop.secrets", "missing"); err != nil {
		t.Fatalf("probe with provider: %v", err)
	}
}

// dialBus connects and authenticates to a test bus; closed at cleanup.
func dialBus(t *testing.T, addr string) *dbus.Conn {
	t.Helper()
	conn, err := dbus.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if err := conn.Auth(nil); err != nil {
		t.Fatal(err)
	}
	if err := conn.Hello(); err != nil {
		t.Fatal(err)
	}
	return conn
}
