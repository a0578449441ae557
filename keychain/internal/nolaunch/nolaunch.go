// Package nolaunch stops the D-Bus library under 99designs/keyring from
// starting a private dbus-daemon when there is no session bus.
//
// keyring's package init connects to the session bus. With
// DBUS_SESSION_BUS_ADDRESS unset and no bus socket under /run/user/<uid>,
// godbus falls back to running dbus-launch, which leaves a dbus-daemon
// behind for every alirole run (godbus/dbus#268). Go initialises this
// package before godbus (it sorts first and imports only the standard
// library), so its init can point the library at an address that fails at
// once; Restore removes the placeholder again after keyring's init.
//
// The same happens when the session bus is set but does not answer a
// handshake in time: godbus would otherwise wait for it forever at init.
package nolaunch

import "os"

const (
	envVar = "DBUS_SESSION_BUS_ADDRESS"
	// placeholder has no transport godbus knows, so dialling it fails
	// immediately without running anything.
	placeholder = "alirole-no-session-bus:"
)

// original is the bus address init replaced because the bus did not
// answer; written once during package initialisation only.
var original string

// Restore puts DBUS_SESSION_BUS_ADDRESS back as it was before init, so
// that programs alirole runs inherit the environment they would have had.
func Restore() {
	if os.Getenv(envVar) != placeholder {
		return
	}
	if original != "" {
		_ = os.Setenv(envVar, original)
		return
	}
	_ = os.Unsetenv(envVar)
}
