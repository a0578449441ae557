package commands

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/internal/aliyuncli"
)

// credentials-go ≥ 1.4.10 copies what an External command printed into
// config.json in plain text; users of the SDKs' default chain should know.
const writebackWarning = "note: SDKs built on credentials-go 1.4.10 or newer write the temporary credentials an External\n" +
	"profile returns back into that file in plain text (the aliyun CLI itself does not); they expire,\n" +
	"but keep the file private."

// SetupCLI is `alirole setup-cli PROFILE`.
func SetupCLI(e Env) *cli.Command {
	return &cli.Command{
		Name:      "setup-cli",
		Usage:     "make an aliyun CLI profile that gets its credentials from alirole",
		ArgsUsage: "PROFILE",
		Description: "Writes (or updates) an External-mode profile in the aliyun CLI's config.json whose\n" +
			"process_command runs 'alirole export --format external PROFILE' by absolute path. Global\n" +
			"options given to setup-cli by flag or ALIROLE_* variable (--config, --backend, --keyring-name,\n" +
			"--pass-dir, --pass-cmd, --file-dir, --session-cache, --sts-endpoint, --sts-timeout, --resolve-timeout,\n" +
			"--expiry-window, --no-browser, --login-timeout) are written into the command, paths made absolute, so the CLI finds the same\n" +
			"profiles and keychain. Other profiles and fields are kept as they are; the first time alirole\n" +
			"changes the file, the original is kept in config.json.alirole-backup (one backup, never\n" +
			"overwritten).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "cli-profile", Usage: "name of the aliyun CLI profile (default: PROFILE)"},
			&cli.StringFlag{Name: "cli-config", Usage: "aliyun CLI config file", DefaultText: "~/.aliyun/config.json"},
			&cli.StringFlag{Name: "region", Usage: "region_id of the CLI profile (default: the profile's region_id)"},
		},
		BashComplete: e.completeProfiles,
		Action:       e.setupCLI,
	}
}

// cliConfigPath is where the aliyun CLI itself reads its config: it ignores
// ALIBABA_CLOUD_CONFIG_FILE, so that variable is not consulted here.
func (e Env) cliConfigPath(c *cli.Context, flag string) string {
	if p := c.String(flag); p != "" {
		return p
	}
	return filepath.Join(e.Home, ".aliyun", "config.json")
}

func (e Env) setupCLI(c *cli.Context) error {
	name, cfg, err := e.profileConfig(c)
	if err != nil {
		return err
	}
	if _, err := cfg.Profile(name); err != nil {
		return err
	}
	exe, err := e.Executable()
	if err != nil {
		return fmt.Errorf("find the alirole binary: %w", err)
	}
	region := c.String("region")
	if region == "" {
		region = cfg.Region(name)
	}
	if region == "" {
		return fmt.Errorf("the aliyun CLI needs a region for profile %q: pass --region or set region_id in the alirole profile", name)
	}
	cliName := c.String("cli-profile")
	if cliName == "" {
		cliName = name
	}
	path := e.cliConfigPath(c, "cli-config")
	f, unlock, err := lockAndLoadCLIConfig(c.Context, path)
	if err != nil {
		return err
	}
	defer unlock()
	global, err := e.exportOptions(c)
	if err != nil {
		return err
	}
	command := aliyuncli.ProcessCommandWith(exe, global, name)
	if args, err := aliyuncli.SplitCommand(command); err != nil || len(args) != len(strings.Fields(command)) {
		fmt.Fprintln(e.Stderr, "alirole: warning: the process_command contains a quoted space; aliyun CLI versions before 3.4.9 split it on every space and will fail")
	}
	created, err := f.SetExternal(cliName, command, region)
	if err != nil {
		return fmt.Errorf("aliyun CLI profile %q: %w", cliName, err)
	}
	if !f.Modified() {
		fmt.Fprintf(e.Stderr, "aliyun CLI profile %q in %s already uses alirole.\n", cliName, path)
		return nil
	}
	backup, err := f.Save(path)
	if err != nil {
		return err
	}
	e.reportSetupCLI(c, path, cliName, name, created, backup)
	return nil
}

// lockAndLoadCLIConfig locks the aliyun CLI's config file at path and reads
// it. The caller holds the lock until the file is saved, so no concurrent
// edit is lost.
func lockAndLoadCLIConfig(ctx context.Context, path string) (f *aliyuncli.File, unlock func(), err error) {
	unlock, err = aliyuncli.Lock(ctx, path)
	if err != nil {
		return nil, nil, err
	}
	f, err = aliyuncli.Load(path)
	if err != nil {
		unlock()
		return nil, nil, err
	}
	return f, unlock, nil
}

// reportSetupCLI says what setup-cli changed and how to try it.
func (e Env) reportSetupCLI(c *cli.Context, path, cliName, name string, created bool, backup string) {
	verb := "Updated"
	if created {
		verb = "Created"
	}
	fmt.Fprintf(e.Stderr, "%s aliyun CLI profile %q in %s (External mode via alirole profile %q).\n", verb, cliName, path, name)
	if backup != "" {
		fmt.Fprintf(e.Stderr, "Your original file (as it was before alirole first changed it) is kept in %s (mode 0600; it may hold plaintext secrets: delete it once you have checked the result).\n", backup)
	}
	// The aliyun CLI reads only ~/.aliyun/config.json unless given
	// --config-path (config/configuration.go getConfigurePath).
	try := "aliyun"
	if c.String("cli-config") != "" {
		try += " --config-path " + aliyuncli.QuoteArg(path)
	}
	fmt.Fprintf(e.Stderr, "Try: %s --profile %s sts GetCallerIdentity\n%s\n", try, aliyuncli.QuoteArg(cliName), writebackWarning)
}

// carriedOptions are the global options that change what `alirole export`
// resolves or where it finds keys; setup-cli writes the ones in effect into
// the process_command, because the aliyun CLI may run it from another shell
// without the same flags or ALIROLE_* variables. Paths are made absolute
// (the CLI runs it from any directory). --debug is left out: it would only
// add noise to every CLI call.
var carriedOptions = []struct {
	name                    string
	path, duration, boolean bool
}{
	{name: "config", path: true}, {name: "backend"}, {name: "keyring-name"}, {name: "pass-dir", path: true},
	{name: "pass-cmd"}, {name: "file-dir", path: true}, {name: "session-cache"}, {name: "sts-endpoint"},
	{name: "sts-timeout", duration: true}, {name: "resolve-timeout", duration: true}, {name: "expiry-window", duration: true},
	// export signs in to CloudSSO by itself when the token is missing.
	{name: "no-browser", boolean: true}, {name: "login-timeout", duration: true},
}

// exportOptions returns the carried options set by flag or variable, as
// "--name=value" arguments.
func (e Env) exportOptions(c *cli.Context) ([]string, error) {
	var out []string
	for _, o := range carriedOptions {
		if !c.IsSet(o.name) {
			continue
		}
		v := c.String(o.name)
		if o.duration {
			v = c.Duration(o.name).String()
		}
		if o.boolean {
			v = strconv.FormatBool(c.Bool(o.name))
		}
		if o.path || (o.name == "pass-cmd" && strings.ContainsAny(v, `/\`)) {
			abs, err := filepath.Abs(v)
			if err != nil {
				return nil, fmt.Errorf("--%s %s: %w", o.name, v, err)
			}
			v = abs
		}
		if strings.ContainsAny(v, "\n\r\x00") {
			return nil, fmt.Errorf("--%s: a value with a line break cannot go into the aliyun CLI's process_command", o.name)
		}
		out = append(out, "--"+o.name+"="+v)
	}
	return out, nil
}
