package commands

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// Clear is `alirole clear [PROFILE]`.
func Clear(e Env) *cli.Command {
	return &cli.Command{
		Name:         "clear",
		Usage:        "delete cached sessions (of one profile, or all)",
		ArgsUsage:    "[PROFILE]",
		BashComplete: e.completeProfiles,
		Action: func(c *cli.Context) error {
			store, err := e.openStore(c)
			if err != nil {
				return err
			}
			n, err := store.ClearSessions(c.Args().First())
			if err != nil {
				return fmt.Errorf("clear sessions: %w", err)
			}
			fmt.Fprintf(e.Stderr, "Cleared %d cached session(s).\n", n)
			return nil
		},
	}
}
