// Command alirole keeps Alibaba Cloud AccessKeys in the OS keychain and hands
// out temporary RAM role credentials to the programs that need them.
package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"runtime/debug"

	"github.com/alirole/alirole/internal/commands"
	"github.com/alirole/alirole/internal/harden"
	"github.com/alirole/alirole/internal/httpguard"
	"github.com/alirole/alirole/keychain"
)

// version is set by -ldflags "-X main.version=..." in release builds.
var version = ""

func main() {
	os.Exit(run())
}

func run() int {
	// Before anything can print: the real stdout is reachable only through
	// env.Stdout; whatever a library prints to os.Stdout is dropped.
	guard, err := harden.GuardStdout()
	if err != nil {
		fmt.Fprintln(os.Stderr, "alirole: "+err.Error())
		return 1
	}
	restoreCore, err := harden.NoCoreDumps()
	if err != nil {
		fmt.Fprintln(os.Stderr, "alirole: warning: core dumps stay enabled: "+err.Error())
	}
	guard.RestoreOnHandOver(restoreCore)
	// Libraries' std-log output (keyring's debug, net/http's server
	// errors) goes to stderr unscrubbed: drop it. alirole logs through its
	// own slog handler (--debug).
	log.SetOutput(io.Discard)

	// credentials-go offers no injectable client: bound its answers through
	// the transport it clones (see httpguard.Install).
	httpguard.Install()

	env := commands.SystemEnv()
	env.Stdout = guard.Stdout()
	env.HandOver = guard.HandOver
	// The passphrase is read once and leaves the process environment, so
	// that no child inherits it: exec'd programs, the browser of 'login',
	// and the process_command helpers credentials-go starts with
	// os.Environ().
	passphrase, hasPassphrase := os.LookupEnv(keychain.PassphraseEnv)
	if hasPassphrase {
		_ = os.Unsetenv(keychain.PassphraseEnv)
		env.Getenv = func(name string) string {
			if name == keychain.PassphraseEnv {
				return passphrase
			}
			return os.Getenv(name)
		}
	}

	code := commands.Run(context.Background(), commands.App(env, buildVersion()), os.Args, env)
	if n := guard.Close(); n > 0 {
		fmt.Fprintf(os.Stderr, "alirole: dropped %d bytes that a library printed to standard output (it can hold credentials; alirole's own output is unaffected)\n", n)
	}
	return code
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "dev"
}
