package commands

import (
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/internal/prompt"
	"github.com/alirole/alirole/keychain"
)

// Add is `alirole add PROFILE`.
func Add(e Env) *cli.Command {
	return &cli.Command{
		Name:      "add",
		Usage:     "store a long-term AccessKey for a profile in the keychain",
		ArgsUsage: "PROFILE",
		Description: "Prompts for the AccessKey ID and secret on the terminal (the secret is not echoed),\n" +
			"or takes them from ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET with --env.\n" +
			"Adds a [profile PROFILE] section to the config file when there is none. Replacing a stored\n" +
			"key asks first on the terminal (--force: without asking) and clears the cached sessions that\n" +
			"were made with the old one.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "env", Usage: "read the key from ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET"},
			&cli.BoolFlag{Name: "force", Aliases: []string{"f"}, Usage: "replace a stored key without asking"},
		},
		BashComplete: e.completeProfiles,
		Action:       e.add,
	}
}

func (e Env) add(c *cli.Context) error {
	name, cfg, err := e.profileConfig(c)
	if err != nil {
		return err
	}
	if p, err := cfg.Profile(name); err == nil && !p.UsesKeychainAK() {
		if !p.IsRoot() {
			return fmt.Errorf("profile %q takes its credentials from source_profile %q: store the AccessKey there ('alirole add %s')", name, p.SourceProfile, p.SourceProfile)
		}
		return fmt.Errorf("profile %q uses credential_source = %s, not a stored AccessKey", name, p.CredentialSource)
	}
	store, err := e.openStore(c)
	if err != nil {
		return err
	}
	// The passphrase first: a mistake there must not throw away a typed key.
	if err := store.Unlock(); err != nil {
		return err
	}
	if err := e.confirmReplace(c, store, name); err != nil {
		return err
	}
	ak, err := e.readAccessKey(c)
	if err != nil {
		return err
	}
	if err := store.SetAccessKey(name, ak); err != nil {
		return err // already names the profile
	}
	// Sessions made with the previous key must not outlive it.
	cleared, err := clearDependents(cfg, store, name)
	if err != nil {
		return err
	}
	created, err := config.AppendProfile(cfg.Path, name, nil)
	if err != nil {
		return fmt.Errorf("the AccessKey is stored, but adding [profile %s] to %s failed: %w", name, cfg.Path, err)
	}
	fmt.Fprintf(e.Stderr, "Stored AccessKey %s for profile %q in the keychain.\n", ak.ID, name)
	if created {
		fmt.Fprintf(e.Stderr, "Added [profile %s] to %s.\n", name, cfg.Path)
	}
	if cleared > 0 {
		fmt.Fprintf(e.Stderr, "Cleared %d cached session(s) made with the previous key.\n", cleared)
	}
	return nil
}

// confirmReplace asks before a stored key is overwritten: the old one may
// be the only copy. Without a terminal only --force replaces it.
func (e Env) confirmReplace(c *cli.Context, store *keychain.Store, name string) error {
	if c.Bool("force") {
		return nil
	}
	old, err := store.AccessKey(name)
	if errors.Is(err, keychain.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	answer, err := prompt.Line(e.TTY, fmt.Sprintf("Profile %q already has AccessKey %s stored. Replace it? [y/N] ", name, old.ID))
	if err != nil {
		if errors.Is(err, prompt.ErrNoTerminal) {
			return fmt.Errorf("profile %q already has AccessKey %s stored: pass --force to replace it", name, old.ID)
		}
		return err
	}
	if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
		return errors.New("not replaced")
	}
	return nil
}

func (e Env) readAccessKey(c *cli.Context) (keychain.AccessKey, error) {
	var ak keychain.AccessKey
	if c.Bool("env") {
		ak.ID = e.Getenv("ALIBABA_CLOUD_ACCESS_KEY_ID")
		ak.Secret = e.Getenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
		if ak.ID == "" || ak.Secret == "" {
			return ak, errors.New("--env: set both ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET")
		}
	} else {
		var err error
		if ak.ID, err = prompt.Line(e.TTY, "AccessKey ID: "); err != nil {
			return ak, noTerminal(err, "--env")
		}
		if ak.Secret, err = prompt.Secret(e.TTY, "AccessKey secret: "); err != nil {
			return ak, noTerminal(err, "--env")
		}
	}
	ak.ID, ak.Secret = strings.TrimSpace(ak.ID), strings.TrimSpace(ak.Secret)
	switch {
	case ak.ID == "" || ak.Secret == "":
		return ak, errors.New("the AccessKey ID and secret must not be empty")
	case strings.HasPrefix(ak.ID, "STS."):
		return ak, errors.New("that is a temporary STS key; alirole add stores long-term AccessKeys (they start with LTAI)")
	case strings.ContainsAny(ak.ID, " \t\r\n") || strings.ContainsAny(ak.Secret, " \t\r\n"):
		return ak, errors.New("the AccessKey ID and secret must not contain spaces")
	}
	return ak, nil
}

// noTerminal turns "no terminal" into advice on the non-interactive way.
func noTerminal(err error, alternative string) error {
	if errors.Is(err, prompt.ErrNoTerminal) {
		return fmt.Errorf("%w: no terminal to prompt on; use %s", err, alternative)
	}
	return err
}

// clearDependents removes the cached sessions of every profile whose chain
// starts at root (root included).
func clearDependents(cfg *config.Config, store *keychain.Store, root string) (int, error) {
	total := 0
	for _, name := range append([]string{root}, cfg.Names()...) {
		if name != root {
			chain, err := cfg.Chain(name)
			if err != nil || chain[0].Name != root {
				continue
			}
		}
		n, err := store.ClearSessions(name)
		if err != nil {
			return total, fmt.Errorf("clear cached sessions of profile %q: %w", name, err)
		}
		total += n
	}
	return total, nil
}
