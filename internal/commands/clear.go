package commands

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/config"
)

// Clear is `alirole clear [PROFILE]`.
func Clear(e Env) *cli.Command {
	return &cli.Command{
		Name:         "clear",
		Usage:        "delete cached sessions (of one profile, or all)",
		ArgsUsage:    "[PROFILE]",
		BashComplete: e.completeProfiles,
		Action: func(c *cli.Context) error {
			name := c.Args().First()
			var cfg *config.Config
			if name != "" {
				var err error
				if cfg, err = e.loadConfig(c); err != nil {
					return err
				}
			}
			store, err := e.openStore(c)
			if err != nil {
				return err
			}
			n, err := store.ClearSessions(name)
			if err != nil {
				return fmt.Errorf("clear sessions: %w", err)
			}
			if cfg != nil && n == 0 {
				// A typo must not look like success; sessions of a profile
				// since removed from the file are still cleared above.
				if _, err := cfg.Profile(name); err != nil {
					return err
				}
			}
			fmt.Fprintf(e.Stderr, "Cleared %d cached session(s).\n", n)
			return nil
		},
	}
}
