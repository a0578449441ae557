package commands

import "github.com/urfave/cli/v2"

// App is alirole's command-line definition. main runs it; the docs
// generator (internal/gendocs) renders the man page and reference from it.
func App(e Env, version string) *cli.App {
	return &cli.App{
		Name:                 "alirole",
		Usage:                "Alibaba Cloud credentials from the OS keychain, through RAM role chains, to your tools",
		Version:              version,
		EnableBashCompletion: true,
		Flags:                GlobalFlags(),
		Commands: []*cli.Command{
			Add(e),
			Remove(e),
			List(e),
			Exec(e),
			Export(e),
			Clear(e),
			Whoami(e),
			Login(e),
			SSO(e),
			OAuth(e),
			Rotate(e),
			SetupCLI(e),
			Import(e),
			Completion(e),
			Dev(e),
		},
	}
}
