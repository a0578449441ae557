//go:build linux

package keychain

import (
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
	conn, err := dbus.Dial(addr)
	if err != nil {
		return reason("cannot reach the D-Bus session bus (%v)", err)
	}
	defer conn.Close()
	if err := conn.Auth(nil); err != nil {
		return reason("cannot authenticate to the D-Bus session bus (%v)", err)
	}
	if err := conn.Hello(); err != nil {
		return reason("the D-Bus session bus refused the connection (%v)", err)
	}
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

// checkKeyctl makes sure the kernel key retention service answers; it is
// compiled out of some kernels and filtered by container seccomp profiles.
func checkKeyctl() error {
	if _, err := unix.KeyctlGetKeyringID(unix.KEY_SPEC_USER_KEYRING, true); err != nil {
		return reason("the kernel keyring is not usable here (keyctl: %v)", err)
	}
	return nil
}
