//go:build !linux

package keychain

// The D-Bus and keyctl backends exist only on Linux; check rejects them
// through builtFor before these are reached.

func checkSessionBus(func(string) string, string, string) error {
	return reason("only available on Linux")
}

func checkKeyctl() error { return reason("only available on Linux") }

func keyctlKeyringExists(string) bool { return false }
