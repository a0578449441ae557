package resolve

import "crypto/x509"

// warmSystemRoots starts loading the system certificate pool in the
// background. Go parses every root certificate the first time a process
// verifies a TLS server, which takes 5-10 ms; started just before a hop's
// STS call, the load overlaps the keychain read and connection set-up that
// come first, instead of stalling the TLS handshake. Go loads the pool
// once per process, so later calls cost only a copy.
func warmSystemRoots() {
	go func() { _, _ = x509.SystemCertPool() }()
}
