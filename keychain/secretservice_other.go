//go:build !linux

package keychain

func collectionExists(func(string) string, string) (bool, error) {
	return false, reason("only available on Linux")
}
