package commands

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/internal/prompt"
	"github.com/alirole/alirole/keychain"
)

// Remove is `alirole remove PROFILE`.
func Remove(e Env) *cli.Command {
	return &cli.Command{
		Name:         "remove",
		Aliases:      []string{"rm"},
		Usage:        "delete a profile's stored AccessKey and its cached sessions",
		ArgsUsage:    "PROFILE",
		Description:  "The profile section in the config file is kept. Asks for confirmation on the terminal unless --force.",
		Flags:        []cli.Flag{&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "do not ask for confirmation"}},
		BashComplete: e.completeProfiles,
		Action:       e.remove,
	}
}

func (e Env) remove(c *cli.Context) error {
	name, cfg, err := e.profileConfig(c)
	if err != nil {
		return err
	}
	store, err := e.openStore(c)
	if err != nil {
		return err
	}
	has, err := store.HasAccessKey(name)
	if err != nil {
		return err
	}
	if has && !c.Bool("force") {
		answer, err := prompt.Line(e.TTY, fmt.Sprintf("Delete the AccessKey stored for profile %q? [y/N] ", name))
		if err != nil {
			return noTerminal(err, "--force")
		}
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			return errors.New("not removed")
		}
	}
	// Sessions are cleared before the key goes, so that a kill in between
	// leaves no session of a removed key behind, and again after it, for
	// a fetch that began in between (the generation rule stops any fetch
	// that began before the second clear from caching).
	cleared := 0
	if has {
		n, err := clearDependents(cfg, store, name)
		if err != nil {
			return err
		}
		cleared = n
		if err := store.RemoveAccessKey(name); err != nil && !errors.Is(err, keychain.ErrNotFound) {
			return fmt.Errorf("remove AccessKey of profile %q: %w", name, err)
		}
	}
	n, err := clearDependents(cfg, store, name)
	if err != nil {
		return err
	}
	cleared += n
	if !has && cleared == 0 {
		return fmt.Errorf("profile %q has no stored AccessKey and no cached sessions", name)
	}
	if has {
		fmt.Fprintf(e.Stderr, "Removed the AccessKey of profile %q.\n", name)
	}
	fmt.Fprintf(e.Stderr, "Cleared %d cached session(s).\n", cleared)
	if has {
		if stranded := dependents(cfg, name); len(stranded) > 0 {
			fmt.Fprintf(e.Stderr, "These profiles start from %q and now have no credentials: %s (store a key again with 'alirole add %s').\n",
				name, strings.Join(stranded, ", "), name)
		}
	}
	return nil
}

// dependents lists, sorted, the profiles other than root whose chain
// starts at root.
func dependents(cfg *config.Config, root string) []string {
	var out []string
	for _, n := range cfg.Names() {
		if chain, err := cfg.Chain(n); err == nil && n != root && chain[0].Name == root {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}
