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
//
// The keyring library registers its D-Bus backends (Secret Service,
// KWallet) only if that connection at init succeeds (secretservice.go and
// kwallet.go, func init, in 99designs/keyring v1.2.2), and offers no way to
// register them later, so whether this run may use one has to be decided
// here, before main parses its flags. When the backend is chosen and is not
// a D-Bus one (--backend or ALIROLE_BACKEND, as the CLI reads them), the bus
// is neither probed nor connected to.
package nolaunch

import (
	"os"
	"slices"
	"strings"
)

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

// busBackends are the backends that talk to the D-Bus session bus.
var busBackends = []string{"secret-service", "kwallet"}

// mayOpenBus reports whether a run with these arguments (without the
// program name) and environment may open a D-Bus backend: unless the
// global --backend flag or else ALIROLE_BACKEND names another backend, it
// may. Only the flags before the command are read, as the CLI takes its
// global flags there, and the scan stops at the first word it cannot place
// (the command, or another flag's value): a guess errs towards the bus.
func mayOpenBus(getenv func(string) string, args []string) bool {
	backend, found := "", false
	for i := 0; i < len(args) && !found; i++ {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") {
			break
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if name != "backend" {
			continue
		}
		if !hasValue {
			if i+1 >= len(args) {
				break
			}
			value = args[i+1]
		}
		backend, found = value, true
	}
	if !found {
		backend = getenv("ALIROLE_BACKEND")
	}
	if backend == "" {
		return true // the first usable backend, which may be a D-Bus one
	}
	// An unknown name fails in keychain.Open whatever the bus does.
	return slices.Contains(busBackends, backend)
}
