// Package keychain keeps alirole's secrets in the operating system's
// credential store (through github.com/99designs/keyring): long-term
// AccessKeys per profile and cached STS sessions.
package keychain

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/99designs/keyring"

	"github.com/alirole/alirole/keychain/internal/nolaunch"
)

// keyring's init has run by now (this package imports it), so the guard
// against dbus-launch is no longer needed; see package nolaunch.
func init() { nolaunch.Restore() }

// DefaultKeyringName names alirole's collection, service, pass folder,
// keyctl keyring and kwallet folder.
const DefaultKeyringName = "alirole"

// BackendEnv is the environment variable users set to pick a backend; it is
// only named in messages here, the CLI reads it.
const BackendEnv = "ALIROLE_BACKEND"

// ErrUnavailable is wrapped by Open when the requested backend (or, with no
// backend requested, every backend) cannot be used on this machine.
var ErrUnavailable = errors.New("keychain backend unavailable")

// Options selects and configures the backend that Open uses.
type Options struct {
	// Backend is one of BackendNames(), or "" for the first usable one.
	Backend string
	// KeyringName is the service name / collection / pass prefix / keyctl
	// keyring / kwallet folder. Default DefaultKeyringName.
	KeyringName string
	// PassDir is the password store of the pass backend; default is pass's
	// own ($PASSWORD_STORE_DIR, else ~/.password-store).
	PassDir string
	// PassCmd is the pass executable; default "pass".
	PassCmd string
	// FileDir is the file backend's directory; it must be absolute (the
	// caller resolves ~). Created with mode 0700 if missing.
	FileDir string
	// Passphrase supplies the file backend's passphrase (see PassphraseFunc).
	// Without it the file backend cannot be used.
	Passphrase func(prompt string) (string, error)
	// Getenv reads the environment (DBUS_SESSION_BUS_ADDRESS,
	// PASSWORD_STORE_DIR, HOME); nil means os.Getenv.
	Getenv func(string) string
}

type backend struct {
	name string
	typ  keyring.BackendType
	// where the backend exists at all, for messages
	platforms string
}

// backends is in preference order: the OS's own store first, then the
// generic ones. pass comes before keyctl because the kernel keyring is
// lost on reboot, and file comes last because it needs a passphrase.
var backends = [...]backend{
	{"keychain", keyring.KeychainBackend, "macOS"},
	{"wincred", keyring.WinCredBackend, "Windows"},
	{"secret-service", keyring.SecretServiceBackend, "Linux"},
	{"kwallet", keyring.KWalletBackend, "Linux"},
	{"pass", keyring.PassBackend, "Linux and macOS"},
	{"keyctl", keyring.KeyCtlBackend, "Linux"},
	{"file", keyring.FileBackend, "every platform"},
}

// BackendNames lists every backend name Open accepts, in preference order.
func BackendNames() []string {
	names := make([]string, len(backends))
	for i, b := range backends {
		names[i] = b.name
	}
	return names
}

// Available lists, in preference order, the backends that are built into
// this binary and pass their usability checks here with default settings.
// The file backend is always listed: it only needs a directory and a
// passphrase.
func Available() []string {
	o := Options{}.withDefaults()
	var names []string
	for _, b := range backends {
		if b.typ == keyring.FileBackend {
			names = append(names, b.name)
			continue
		}
		if check(b, o) == nil {
			names = append(names, b.name)
		}
	}
	return names
}

// Open opens the requested backend, or the first usable one when
// o.Backend is "". It never falls back silently from a named backend.
func Open(o Options) (keyring.Keyring, error) {
	o = o.withDefaults()
	if !validKeyringName(o.KeyringName) {
		return nil, fmt.Errorf("invalid keyring name %q: use letters, digits, '.', '_' and '-'", o.KeyringName)
	}
	if o.Backend == "" {
		return openFirst(backends[:], o)
	}
	for _, b := range backends {
		if b.name == o.Backend {
			ring, err := openBackend(b, o)
			if err != nil {
				return nil, unavailable(b, err)
			}
			return ring, nil
		}
	}
	return nil, fmt.Errorf("unknown keychain backend %q (valid: %s)", o.Backend, strings.Join(BackendNames(), ", "))
}

// BackendName names the backend ring was opened on, for --debug output.
func BackendName(ring keyring.Keyring) string {
	switch ring.(type) {
	case *fileRing:
		return "file"
	case secretServiceRing:
		return "secret-service"
	}
	// The library's own types are unexported: go by their names.
	t := strings.ToLower(fmt.Sprintf("%T", ring))
	for _, m := range [][2]string{{"pass", "pass"}, {"keyctl", "keyctl"}, {"kwallet", "kwallet"}, {"windows", "wincred"}, {"keychain", "keychain"}} {
		if strings.Contains(t, m[0]) {
			return m[1]
		}
	}
	return t
}

func (o Options) withDefaults() Options {
	if o.KeyringName == "" {
		o.KeyringName = DefaultKeyringName
	}
	if o.PassCmd == "" {
		o.PassCmd = "pass"
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	return o
}

func validKeyringName(s string) bool {
	if s == "" || s == "." || s == ".." {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// reason builds the explanation of why a backend cannot be used; it must
// never include secrets.
func reason(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}

func unavailable(b backend, err error) error {
	hint := "use --backend file or set " + BackendEnv + " to another backend"
	if b.typ == keyring.FileBackend {
		hint = "use --backend or " + BackendEnv + " to pick another backend (" + strings.Join(BackendNames(), ", ") + ")"
	}
	return fmt.Errorf("%w: %s: %w; %s", ErrUnavailable, b.name, err, hint)
}

func openFirst(candidates []backend, o Options) (keyring.Keyring, error) {
	var why []string
	for _, b := range candidates {
		if !builtFor(b.typ, runtime.GOOS) {
			continue // not worth a mention, e.g. wincred on Linux
		}
		if b.typ == keyring.KeyCtlBackend {
			// A long-term key kept there would vanish at the next reboot
			// without warning; only an explicit choice gets that.
			why = append(why, b.name+": only when chosen explicitly (its keys do not survive a reboot)")
			continue
		}
		if b.typ == keyring.FileBackend && (o.Passphrase == nil || o.FileDir == "") {
			// Never end up in a passphrase prompt the caller did not ask for.
			why = append(why, b.name+": no directory or passphrase source configured")
			continue
		}
		ring, err := openBackend(b, o)
		if err == nil {
			return ring, nil
		}
		why = append(why, b.name+": "+err.Error())
	}
	return nil, fmt.Errorf("%w: no usable backend (%s); pick one with --backend or %s",
		ErrUnavailable, strings.Join(why, "; "), BackendEnv)
}

func openBackend(b backend, o Options) (keyring.Keyring, error) {
	if err := check(b, o); err != nil {
		return nil, err
	}
	cfg := keyring.Config{AllowedBackends: []keyring.BackendType{b.typ}}
	var file *fileRing
	switch b.typ {
	case keyring.KeychainBackend:
		cfg.ServiceName = o.KeyringName
		// Trusting alirole avoids a confirmation dialog on every exec; items
		// stay in the login keychain, off iCloud, readable only when unlocked.
		cfg.KeychainTrustApplication = true
		cfg.KeychainSynchronizable = false
		cfg.KeychainAccessibleWhenUnlocked = true
	case keyring.WinCredBackend:
		cfg.ServiceName = o.KeyringName
		cfg.WinCredPrefix = o.KeyringName
	case keyring.SecretServiceBackend:
		cfg.ServiceName = o.KeyringName
		cfg.LibSecretCollectionName = o.KeyringName
	case keyring.KWalletBackend:
		// ServiceName stays empty: for kwallet it names the wallet, and the
		// user's default wallet is the right one.
		cfg.KWalletAppID = o.KeyringName
		cfg.KWalletFolder = o.KeyringName
	case keyring.PassBackend:
		cfg.PassCmd = o.PassCmd
		cfg.PassDir = passDir(o)
		cfg.PassPrefix = o.KeyringName
	case keyring.KeyCtlBackend:
		cfg.ServiceName = o.KeyringName
		cfg.KeyCtlScope = "user"
	case keyring.FileBackend:
		if err := prepareFileDir(o.FileDir); err != nil {
			return nil, err
		}
		unlocker := &fileUnlocker{dir: o.FileDir, get: o.Passphrase}
		pw := memoPassphrase(guardPassphrase(unlocker.passphrase))
		file = &fileRing{dir: o.FileDir, pw: pw, unlocker: unlocker}
		cfg.FileDir = o.FileDir
		cfg.FilePasswordFunc = pw
	}
	ring, err := keyring.Open(cfg)
	if err != nil {
		// keyring.Open drops the backend's own error; our checks above
		// catch the common causes, so this is the rare remainder.
		return nil, reason("the keyring library could not open it (%v)", err)
	}
	if file != nil {
		file.inner = ring
		return file, nil
	}
	if b.typ == keyring.SecretServiceBackend {
		return secretServiceRing{Keyring: ring, collection: o.KeyringName, getenv: o.Getenv}, nil
	}
	return ring, nil
}

// check tells, without prompting anyone or touching stored items, why a
// backend cannot be used here; nil means it looks usable.
func check(b backend, o Options) error {
	if !builtFor(b.typ, runtime.GOOS) {
		return reason("only available on %s", b.platforms)
	}
	switch b.typ {
	case keyring.SecretServiceBackend:
		if err := checkSessionBus(o.Getenv, "org.freedesktop.secrets", "no Secret Service provider (such as gnome-keyring or KeePassXC) is running or activatable on the D-Bus session bus"); err != nil {
			return err
		}
	case keyring.KWalletBackend:
		if err := checkSessionBus(o.Getenv, "org.kde.kwalletd5", "KWallet (kwalletd5) is not running or activatable on the D-Bus session bus"); err != nil {
			return err
		}
	case keyring.KeyCtlBackend:
		if err := checkKeyctl(); err != nil {
			return err
		}
	case keyring.PassBackend:
		if err := checkPass(o); err != nil {
			return err
		}
	case keyring.FileBackend:
		if o.FileDir == "" {
			return reason("no directory configured")
		}
		if !filepath.IsAbs(o.FileDir) {
			return reason("directory %q is not an absolute path", o.FileDir)
		}
		if o.Passphrase == nil {
			return reason("no passphrase source configured")
		}
	}
	if !registered(b.typ) {
		switch b.typ {
		case keyring.SecretServiceBackend, keyring.KWalletBackend:
			// The library connects to the bus once, when the process starts.
			return reason("the D-Bus session bus was not reachable when alirole started")
		case keyring.KeychainBackend:
			return reason("this alirole binary was built without cgo, which the macOS keychain needs")
		}
		return reason("not built into this alirole binary")
	}
	return nil
}

// builtFor mirrors the build constraints of the keyring library's backends.
func builtFor(t keyring.BackendType, goos string) bool {
	switch t {
	case keyring.KeychainBackend:
		return goos == "darwin"
	case keyring.WinCredBackend:
		return goos == "windows"
	case keyring.SecretServiceBackend, keyring.KWalletBackend, keyring.KeyCtlBackend:
		return goos == "linux"
	case keyring.PassBackend:
		return goos != "windows"
	}
	return true
}

func registered(t keyring.BackendType) bool {
	return slices.Contains(keyring.AvailableBackends(), t)
}

func passDir(o Options) string {
	if o.PassDir != "" {
		return o.PassDir
	}
	if d := o.Getenv("PASSWORD_STORE_DIR"); d != "" {
		return d
	}
	if home := o.Getenv("HOME"); home != "" {
		return filepath.Join(home, ".password-store")
	}
	return ""
}

func checkPass(o Options) error {
	if _, err := exec.LookPath(o.PassCmd); err != nil {
		return reason("the %q program is not installed (not found in PATH)", o.PassCmd)
	}
	dir := passDir(o)
	if dir == "" {
		return reason("cannot locate the password store: set PASSWORD_STORE_DIR or HOME")
	}
	dir, err := keyring.ExpandTilde(dir)
	if err != nil {
		return reason("cannot locate the password store %q: %v", dir, err)
	}
	// pass encrypts to the .gpg-id nearest above the item; without one,
	// every write fails, so say so now instead of at the first add.
	for _, d := range []string{filepath.Join(dir, o.KeyringName), dir} {
		if _, err := os.Stat(filepath.Join(d, ".gpg-id")); err == nil {
			return nil
		}
	}
	return reason("the password store %s is not initialised (run: pass init <gpg-id>)", dir)
}

// prepareFileDir creates the file backend's directory owner-only and
// tightens an existing one: the library creates missing directories 0700
// and new files 0600, but leaves existing ones as they are.
func prepareFileDir(dir string) error {
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		// Created (0700) by the first write; see fileRing.dir. Its parent
		// must be a directory, or that write would fail late.
		if pst, perr := os.Stat(filepath.Dir(dir)); perr == nil && !pst.IsDir() {
			return reason("%s is not a directory", filepath.Dir(dir))
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("file keychain directory: %w", err)
	}
	if !st.IsDir() {
		return reason("%s is not a directory", dir)
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("restrict file keychain directory: %w", err)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read file keychain directory: %w", err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return fmt.Errorf("file keychain item %s: %w", e.Name(), err)
		}
		if info.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(filepath.Join(dir, e.Name()), 0o600); err != nil {
				return fmt.Errorf("restrict file keychain item %s: %w", e.Name(), err)
			}
		}
	}
	return nil
}
