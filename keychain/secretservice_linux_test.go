package keychain

import (
	"errors"
	"strings"
	"testing"

	"github.com/99designs/keyring"
	"github.com/godbus/dbus"

	"github.com/alirole/alirole/internal/testkit"
)

// fakeSecrets answers the Collections property like a Secret Service.
type fakeSecrets struct{ collections []dbus.ObjectPath }

func (f fakeSecrets) Get(iface, prop string) (dbus.Variant, *dbus.Error) {
	if iface != "org.freedesktop.Secret.Service" || prop != "Collections" {
		return dbus.Variant{}, dbus.MakeFailedError(errors.New("no such property"))
	}
	return dbus.MakeVariant(f.collections), nil
}

// failingSet is a keyring whose writes fail the way GNOME Keyring's do
// when a collection cannot be created.
type failingSet struct{ keyring.Keyring }

var errPromptDismissed = errors.New("Object does not exist at path “/”")

func (failingSet) Set(keyring.Item) error { return errPromptDismissed }

func TestSecretServiceMissingCollection(t *testing.T) {
	addr := testkit.PrivateBus(t)
	getenv := envMap(map[string]string{"DBUS_SESSION_BUS_ADDRESS": addr})
	conn := dialBus(t, addr)
	fake := fakeSecrets{[]dbus.ObjectPath{secretsPath + "/collection/login", secretsPath + "/collection/alirole_2dwork_2e1"}}
	if err := conn.Export(fake, secretsPath, "org.freedesktop.DBus.Properties"); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.RequestName(secretsService, dbus.NameFlagDoNotQueue); err != nil {
		t.Fatal(err)
	}

	for name, want := range map[string]bool{"login": true, "alirole-work.1": true, "alirole": false, "alirole-work": false} {
		if got, err := collectionExists(getenv, name); err != nil || got != want {
			t.Errorf("collectionExists(%q) = %v, %v; want %v", name, got, err, want)
		}
	}

	// A failed write to a collection that does not exist says why and
	// what to do; other failures are passed on as they are.
	err := secretServiceRing{Keyring: failingSet{}, collection: "alirole", getenv: getenv}.Set(keyring.Item{Key: "k"})
	if !errors.Is(err, errPromptDismissed) || !strings.Contains(err.Error(), `collection "alirole"`) || !strings.Contains(err.Error(), "--keyring-name") {
		t.Errorf("missing collection: %v", err)
	}
	err = secretServiceRing{Keyring: failingSet{}, collection: "login", getenv: getenv}.Set(keyring.Item{Key: "k"})
	if err != errPromptDismissed {
		t.Errorf("existing collection: got %v, want the backend's error unchanged", err)
	}
}

func TestUnescapePath(t *testing.T) {
	for in, want := range map[string]string{
		"/c/alirole_2de2e_2dab12": "/c/alirole-e2e-ab12",
		"/c/a_5fb":                "/c/a_b",
		"/c/plain":                "/c/plain",
		"/c/odd_zz":               "/c/odd_zz",
		"/c/end_2":                "/c/end_2",
	} {
		if got := unescapePath(in); got != want {
			t.Errorf("unescapePath(%q) = %q, want %q", in, got, want)
		}
	}
}
