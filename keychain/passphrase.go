package keychain

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/alirole/alirole/internal/prompt"
)

// PassphraseEnv holds the file backend's passphrase for unattended use.
const PassphraseEnv = "ALIROLE_FILE_PASSPHRASE"

// PassphraseFunc returns the standard passphrase source for the file
// backend: $ALIROLE_FILE_PASSPHRASE when set and non-empty, else a hidden
// prompt on the terminal opened by tty. The first passphrase obtained is
// reused for the life of the returned func, because the keyring may ask
// more than once per process. getenv nil means os.Getenv.
func PassphraseFunc(getenv func(string) string, tty prompt.Opener) func(string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var (
		mu     sync.Mutex
		cached string
	)
	return func(label string) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		if cached != "" {
			return cached, nil
		}
		// An empty variable is treated as unset: an empty passphrase would
		// encrypt everything under a key anyone can derive.
		if v := getenv(PassphraseEnv); v != "" {
			cached = v
			return v, nil
		}
		pw, err := prompt.Secret(tty, label+": ")
		if errors.Is(err, prompt.ErrNoTerminal) {
			return "", fmt.Errorf("the file keychain needs a passphrase: set %s or run in a terminal (%w)", PassphraseEnv, err)
		}
		if err != nil {
			return "", fmt.Errorf("read file keychain passphrase: %w", err)
		}
		if pw == "" {
			return "", errEmptyPassphrase
		}
		cached = pw
		return pw, nil
	}
}
