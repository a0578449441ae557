package keychain

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/99designs/keyring"

	"github.com/alirole/alirole/internal/prompt"
)

// PassphraseEnv holds the file backend's passphrase for unattended use.
const PassphraseEnv = "ALIROLE_FILE_PASSPHRASE"

// PassphraseFunc returns the standard passphrase source for the file
// backend: $ALIROLE_FILE_PASSPHRASE when set and non-empty, else a hidden
// prompt on the terminal opened by tty. The passphrase obtained is reused
// for the life of the returned func, because the keyring may ask more than
// once per process, except when a label starts with askAgain (a
// confirmation or a retry, see fileUnlocker), which asks afresh, or fails
// with errNotInteractive when the passphrase comes from the environment.
// getenv nil means os.Getenv.
func PassphraseFunc(getenv func(string) string, tty prompt.Opener) func(string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var (
		mu     sync.Mutex
		cached string
	)
	return func(label string) (string, error) {
		again := strings.HasPrefix(label, askAgain)
		label = strings.TrimPrefix(label, askAgain)
		mu.Lock()
		defer mu.Unlock()
		// An empty variable is treated as unset: an empty passphrase would
		// encrypt everything under a key anyone can derive.
		if v := getenv(PassphraseEnv); v != "" {
			if again {
				return "", errNotInteractive
			}
			return v, nil
		}
		if cached != "" && !again {
			return cached, nil
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

// askAgain starts the label of a second question about the passphrase (a
// confirmation or a retry): the source must ask the person again rather
// than repeat its cached or environment answer. It cannot be typed.
const askAgain = "\x00again\x00"

// errNotInteractive answers an askAgain question when nobody can be asked
// again: the passphrase comes from ALIROLE_FILE_PASSPHRASE.
var errNotInteractive = errors.New("the passphrase does not come from a terminal")

// passphraseTries is how often a person may type the passphrase (or a new
// one and its confirmation) before alirole gives up.
const passphraseTries = 3

// fileUnlocker is the file backend's passphrase, settled once per process
// before the library uses it: a new keychain's passphrase is typed twice (a
// typo would lock the user out of everything stored under it), an existing
// keychain's is checked against its items and may be retyped, and a
// failure is final for the process, so no later read asks again.
type fileUnlocker struct {
	dir string
	get func(label string) (string, error)

	mu  sync.Mutex
	pw  string
	err error
}

func (u *fileUnlocker) passphrase(string) (string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.pw == "" && u.err == nil {
		if len(fileItems(u.dir)) == 0 {
			u.pw, u.err = u.create()
		} else {
			u.pw, u.err = u.unlock()
		}
	}
	return u.pw, u.err
}

func (u *fileUnlocker) create() (string, error) {
	label := "Create a passphrase for the new file keychain in " + u.dir
	for try := 1; ; try++ {
		pw, err := u.get(label)
		if err != nil {
			return "", err
		}
		if pw == "" {
			return "", errEmptyPassphrase
		}
		repeat, err := u.get(askAgain + "Type it again to confirm")
		switch {
		case errors.Is(err, errNotInteractive):
			return pw, nil // from the environment: nothing to confirm
		case err != nil:
			return "", err
		case repeat == pw:
			return pw, nil
		case try == passphraseTries:
			return "", fmt.Errorf("the passphrases typed did not match (%d tries); nothing was stored", try)
		}
		label = fmt.Sprintf("%sThe two did not match; create a passphrase for the new file keychain in %s (%d/%d)",
			askAgain, u.dir, try+1, passphraseTries)
	}
}

func (u *fileUnlocker) unlock() (string, error) {
	label := "Passphrase to unlock the file keychain in " + u.dir
	for try := 1; ; try++ {
		pw, err := u.get(label)
		if errors.Is(err, errNotInteractive) {
			return "", lostPassphrase(u.dir, " (from "+PassphraseEnv+")")
		}
		if err != nil {
			return "", err
		}
		if pw == "" {
			return "", errEmptyPassphrase
		}
		if opensItems(u.dir, pw) {
			return pw, nil
		}
		if try == passphraseTries {
			return "", lostPassphrase(u.dir, fmt.Sprintf(" (%d tries)", try))
		}
		label = fmt.Sprintf("%sWrong passphrase; try again (%d/%d)", askAgain, try+1, passphraseTries)
	}
}

// lostPassphrase says what to do when the passphrase is wrong for good.
func lostPassphrase(dir, how string) error {
	return fmt.Errorf("%w in %s%s. If the passphrase is lost, what is stored there cannot be recovered: "+
		"move the directory away (mv %s %s.lost) and store your AccessKeys again with 'alirole add PROFILE'",
		ErrWrongPassphrase, dir, how, dir, dir)
}

// fileItems lists the names of the items in a file keychain directory.
func fileItems(dir string) []string {
	entries, _ := os.ReadDir(dir) // a missing directory has no items
	var names []string
	for _, e := range entries {
		if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	return names
}

// opensItems reports whether pw decrypts the items: true as soon as one
// opens, false only if some failed as a wrong passphrase does and none
// opened (damaged items alone prove nothing; fileRing reports them).
func opensItems(dir, pw string) bool {
	ring, err := keyring.Open(keyring.Config{
		AllowedBackends:  []keyring.BackendType{keyring.FileBackend},
		FileDir:          dir,
		FilePasswordFunc: keyring.FixedStringPrompt(pw),
	})
	if err != nil {
		return true
	}
	check := &fileRing{inner: ring}
	keys, err := ring.Keys()
	if err != nil || len(keys) == 0 {
		return true
	}
	wrong := false
	for i, k := range keys {
		if i == passphraseTries {
			break // each check is a slow key derivation
		}
		_, err := check.get(k)
		switch {
		case err == nil:
			return true
		case errors.Is(err, ErrWrongPassphrase):
			wrong = true
		}
	}
	return !wrong
}
