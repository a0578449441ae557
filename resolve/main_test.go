package resolve

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/alirole/alirole/internal/httpguard"
	"github.com/alirole/alirole/internal/stsemu"
)

// testCA signs every test emulator's certificate. credentials-go always
// speaks https through http.DefaultTransport, and Go reads SSL_CERT_FILE
// once per process, so TestMain points it at this CA before any handshake.
var testCA *stsemu.CA

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "resolve-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "temp dir:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	if testCA, err = stsemu.NewCA(); err != nil {
		fmt.Fprintln(os.Stderr, "test ca:", err)
		return 1
	}
	caPath := filepath.Join(dir, "ca.pem")
	if err := testCA.WriteFile(caPath); err != nil {
		fmt.Fprintln(os.Stderr, "test ca:", err)
		return 1
	}
	os.Setenv("SSL_CERT_FILE", caPath)
	os.Setenv("SSL_CERT_DIR", dir)
	httpguard.Install() // as main does
	return m.Run()
}
