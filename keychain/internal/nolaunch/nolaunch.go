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
package nolaunch

import "os"

const (
	envVar = "DBUS_SESSION_BUS_ADDRESS"
	// placeholder has no transport godbus knows, so dialling it fails
	// immediately without running anything.
	placeholder = "alirole-no-session-bus:"
)

// Restore unsets DBUS_SESSION_BUS_ADDRESS if this package set it, so that
// programs alirole runs inherit the environment they would have had.
func Restore() {
	if os.Getenv(envVar) == placeholder {
		_ = os.Unsetenv(envVar)
	}
}
