//go:build linux

package keychain

import (
	"fmt"
	"os"
	"time"

	"github.com/godbus/dbus"
	"golang.org/x/sys/unix"
)

// busProbeTimeout bounds the D-Bus checks so that a wedged or remote bus
// gives an error instead of a hung alirole.
const busProbeTimeout = 3 * time.Second

// checkSessionBus verifies, before the keyring library gets a chance to
// block, that the session bus is reachable and that service is running or
// can be started by D-Bus activation.
func checkSessionBus(getenv func(string) string, service, missing string) error {
	addr := getenv("DBUS_SESSION_BUS_ADDRESS")
	if addr == "" || addr == "autolaunch:" {
		return reason("DBUS_SESSION_BUS_ADDRESS is not set, so there is no D-Bus session bus (typical over ssh, in containers and CI)")
	}
	done := make(chan error, 1) // buffered: a probe that times out must not block forever
	go func() { done <- probeBus(addr, service, missing) }()
	select {
	case err := <-done:
		return err
	case <-time.After(busProbeTimeout):
		return reason("the D-Bus session bus did not answer within %s", busProbeTimeout)
	}
}

func probeBus(addr, service, missing string) error {
	conn, done, err := connectBus(addr)
	if err != nil {
		return reason("%v", err)
	}
	defer done()
	bus := conn.BusObject()
	var owned bool
	if err := bus.Call("org.freedesktop.DBus.NameHasOwner", 0, service).Store(&owned); err != nil {
		return reason("cannot query the D-Bus session bus (%v)", err)
	}
	if owned {
		return nil
	}
	var activatable []string
	if err := bus.Call("org.freedesktop.DBus.ListActivatableNames", 0).Store(&activatable); err != nil {
		return reason("cannot query the D-Bus session bus (%v)", err)
	}
	for _, n := range activatable {
		if n == service {
			return nil
		}
	}
	return reason("%s", missing)
}

// connectBus returns a connection to the bus at addr and what to call when
// done with it. The bus the keyring library uses is the process's session
// bus, which its package init has already connected: that shared
// connection is reused (and left open) instead of paying for another
// connect, authentication and Hello on every run. Any other address (tests
// use private buses) gets a private connection.
func connectBus(addr string) (conn *dbus.Conn, done func(), err error) {
	if addr == os.Getenv("DBUS_SESSION_BUS_ADDRESS") {
		conn, err := dbus.SessionBus()
		if err != nil {
			return nil, nil, fmt.Errorf("cannot reach the D-Bus session bus (%w)", err)
		}
		return conn, func() {}, nil
	}
	conn, err = dbus.Dial(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("cannot reach the D-Bus session bus (%w)", err)
	}
	if err := conn.Auth(nil); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("cannot authenticate to the D-Bus session bus (%w)", err)
	}
	if err := conn.Hello(); err != nil {
		conn.Close()
		return nil, nil, fmt.Errorf("the D-Bus session bus refused the connection (%w)", err)
	}
	return conn, func() { conn.Close() }, nil
}

// checkKeyctl makes sure the kernel key retention service answers; it is
// compiled out of some kernels and filtered by container seccomp profiles.
func checkKeyctl() error {
	if _, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_KEYRING, true); err != nil {
		return reason("the kernel keyring is not usable here (keyctl: %v)", err)
	}
	return nil
}

// keyctlKeyringExists tells whether the user keyring holds a keyring named
// name (false too when keyctl is not usable).
func keyctlKeyringExists(name string) bool {
	_, err := unix.KeyctlSearch(unix.KEY_SPEC_USER_KEYRING, "keyring", name, 0)
	return err == nil
}
