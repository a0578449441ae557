package commands

import (
	"fmt"
	"path/filepath"

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
			"process_command runs 'alirole export --format external PROFILE' by absolute path. Other\n" +
			"profiles and fields are kept as they are; the first time alirole changes the file, the\n" +
			"original is kept in config.json.alirole-backup (one backup, never overwritten).",
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
	unlock, err := aliyuncli.Lock(c.Context, path)
	if err != nil {
		return err
	}
	defer unlock()
	f, err := aliyuncli.Load(path)
	if err != nil {
		return err
	}
	created, err := f.SetExternal(cliName, aliyuncli.ProcessCommand(exe, name), region)
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
	verb := "Updated"
	if created {
		verb = "Created"
	}
	fmt.Fprintf(e.Stderr, "%s aliyun CLI profile %q in %s (External mode via alirole profile %q).\n", verb, cliName, path, name)
	if backup != "" {
		fmt.Fprintf(e.Stderr, "Your original file (as it was before alirole first changed it) is kept in %s (mode 0600; it may hold plaintext secrets: delete it once you have checked the result).\n", backup)
	}
	fmt.Fprintf(e.Stderr, "Try: aliyun --profile %s sts GetCallerIdentity\n%s\n", cliName, writebackWarning)
	return nil
}
