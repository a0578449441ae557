package keychain

import (
	"fmt"

	"github.com/99designs/keyring"
)

// secretServiceRing explains the one Secret Service failure the keyring
// library leaves cryptic. The library creates a missing collection on the
// first write, and the service asks for the new collection's password in
// a desktop prompt; without a desktop session (ssh, containers, CI) the
// prompt cannot be shown and GNOME Keyring answers with an error such as
// "Object does not exist at path “/”".
type secretServiceRing struct {
	keyring.Keyring
	collection string
	getenv     func(string) string
}

func (r secretServiceRing) Set(item keyring.Item) error {
	err := r.Keyring.Set(item)
	if err == nil {
		return nil
	}
	if exists, cerr := collectionExists(r.getenv, r.collection); cerr == nil && !exists {
		return fmt.Errorf("secret-service could not create the collection %q: %w (the Secret Service asks for a new collection's password in a desktop prompt, which was dismissed or could not be shown; create the collection in a keyring manager such as Seahorse, or use an existing one with --keyring-name, e.g. login)", r.collection, err)
	}
	return err
}
