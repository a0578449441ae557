package keychain

import (
	"errors"
	"strings"
	"testing"

	"github.com/godbus/dbus"

	"github.com/alirole/alirole/internal/testkit"
)

func TestSessionBusProbe(t *testing.T) {
	addr := testkit.PrivateBus(t)
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
