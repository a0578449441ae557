// Command alirole keeps Alibaba Cloud AccessKeys in the OS keychain and hands
// out temporary RAM role credentials to the programs that need them.
package main

import (
	"context"
	"os"
	"runtime/debug"

	"github.com/alirole/alirole/internal/commands"
	"github.com/alirole/alirole/internal/httpguard"
)

// version is set by -ldflags "-X main.version=..." in release builds.
var version = ""

func main() {
	// credentials-go offers no injectable client: bound its answers through
	// the transport it clones (see httpguard.Install).
	httpguard.Install()
	env := commands.SystemEnv()
	os.Exit(commands.Run(context.Background(), commands.App(env, buildVersion()), os.Args, env))
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
