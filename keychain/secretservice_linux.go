//go:build linux

package keychain

import (
	"encoding/hex"
	"strings"
	"time"

	"github.com/godbus/dbus"
)

const (
	secretsService = "org.freedesktop.secrets"
	secretsPath    = "/org/freedesktop/secrets"
)

// collectionExists tells whether the Secret Service has the collection
// that the keyring library finds under name, within busProbeTimeout.
func collectionExists(getenv func(string) string, name string) (bool, error) {
	type answer struct {
		ok  bool
		err error
	}
	done := make(chan answer, 1) // buffered: a late answer must not block
	go func() {
		ok, err := findCollection(getenv("DBUS_SESSION_BUS_ADDRESS"), name)
		done <- answer{ok, err}
	}()
	select {
	case a := <-done:
		return a.ok, a.err
	case <-time.After(busProbeTimeout):
		return false, reason("the D-Bus session bus did not answer within %s", busProbeTimeout)
	}
}

func findCollection(addr, name string) (bool, error) {
	conn, done, err := connectBus(addr)
	if err != nil {
		return false, err
	}
	defer done()
	var v dbus.Variant
	err = conn.Object(secretsService, secretsPath).
		Call("org.freedesktop.DBus.Properties.Get", 0, "org.freedesktop.Secret.Service", "Collections").Store(&v)
	if err != nil {
		return false, err
	}
	paths, ok := v.Value().([]dbus.ObjectPath)
	if !ok {
		return false, reason("the Secret Service listed its collections as %s", v.Signature())
	}
	want := secretsPath + "/collection/" + name
	for _, p := range paths {
		if unescapePath(string(p)) == want {
			return true, nil
		}
	}
	return false, nil
}

// unescapePath undoes the escaping services apply to collection names in
// object paths (each byte other than a letter or digit as _XX), the way
// the keyring library compares them.
func unescapePath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '_' && i+2 < len(p) {
			if d, err := hex.DecodeString(p[i+1 : i+3]); err == nil {
				b.Write(d)
				i += 2
				continue
			}
		}
		b.WriteByte(p[i])
	}
	return b.String()
}
