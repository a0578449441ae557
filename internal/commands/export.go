package commands

import (
	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/shellenv"
)

// Export is `alirole export PROFILE`.
func Export(e Env) *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "print a profile's temporary credentials for a shell, a file or the aliyun CLI",
		ArgsUsage: "PROFILE",
		Description: "Formats: env (POSIX export lines; eval \"$(alirole export prod)\"), fish, powershell,\n" +
			"dotenv, json, and external: the JSON that the aliyun CLI's External mode and credentials-go\n" +
			"read from process_command (only that JSON is written to stdout). The default is detected\n" +
			"from $SHELL (fish, pwsh) and is env otherwise. --unset prints lines that clear the variables.",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Usage: "env, fish, powershell, dotenv, json or external (default: detected from $SHELL)"},
			&cli.BoolFlag{Name: "unset", Usage: "print the lines that unset the variables instead"},
			&cli.StringFlag{Name: "region", Usage: "region for the region variables (default: the profile's region_id)"},
			longTermWarningFlag(),
		}, cacheFlags()...),
		BashComplete: e.completeProfiles,
		Action:       e.export,
	}
}

func (e Env) export(c *cli.Context) error {
	format := shellenv.DetectFormat(e.Getenv)
	if f := c.String("format"); f != "" {
		var err error
		if format, err = shellenv.ParseFormat(f); err != nil {
			return err
		}
	}
	if c.Bool("unset") {
		return shellenv.WriteUnset(e.Stdout, format, shellenv.ManagedNames())
	}
	name, err := profileArg(c)
	if err != nil {
		return err
	}
	s, _, res, err := e.resolveProfile(c, name)
	if err != nil {
		return err
	}
	e.warnLongTerm(c, s, name, res)
	if format == shellenv.FormatExternal {
		out, err := shellenv.External(res.Credentials)
		if err != nil {
			return err
		}
		_, err = e.Stdout.Write(out)
		return err
	}
	return shellenv.Write(e.Stdout, format, shellenv.Vars(res.Credentials, shellenv.Options{Region: region(c, res), Profile: name}))
}
