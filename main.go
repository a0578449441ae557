// Command alirole keeps Alibaba Cloud AccessKeys in the OS keychain and hands
// out temporary RAM role credentials to the programs that need them.
package main

import (
	"context"
	"os"
	"runtime/debug"

	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/commands"
)

// version is set by -ldflags "-X main.version=..." in release builds.
var version = ""

func main() {
	env := commands.SystemEnv()
	app := &cli.App{
		Name:                 "alirole",
		Usage:                "Alibaba Cloud credentials from the OS keychain, through RAM role chains, to your tools",
		Version:              buildVersion(),
		EnableBashCompletion: true,
		Flags:                commands.GlobalFlags(),
		Commands: []*cli.Command{
			commands.Add(env),
			commands.Remove(env),
			commands.List(env),
			commands.Exec(env),
			commands.Export(env),
			commands.Clear(env),
			commands.Whoami(env),
			commands.Login(env),
			commands.Rotate(env),
			commands.SetupCLI(env),
			commands.Import(env),
			commands.Completion(env),
			commands.Dev(env),
		},
	}
	os.Exit(commands.Run(context.Background(), app, os.Args, env))
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
