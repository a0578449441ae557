package commands

import (
	"context"
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/internal/creds"
	"github.com/alirole/alirole/internal/identity"
	"github.com/alirole/alirole/internal/ramkeys"
	"github.com/alirole/alirole/keychain"
)

// Rotate is `alirole rotate PROFILE`.
func Rotate(e Env) *cli.Command {
	return &cli.Command{
		Name:      "rotate",
		Usage:     "replace a profile's stored AccessKey with a new one (RAM CreateAccessKey, then DeleteAccessKey)",
		ArgsUsage: "PROFILE",
		Description: "For a profile whose AccessKey is in the keychain: creates a new AccessKey for the same RAM\n" +
			"user (signed with the current key), waits until STS accepts it (RAM takes a few seconds to\n" +
			"propagate a key), stores it in the keychain, clears the cached sessions of every profile that\n" +
			"starts from PROFILE, and deletes the old key in RAM. If a step fails, the error says which key\n" +
			"is active and stored, and which key (if any) to delete by hand; the working key is never lost.\n" +
			"RAM allows 2 AccessKeys per user, so the user must have at most one other key.\n" +
			"The user needs ram:CreateAccessKey, ram:DeleteAccessKey and ram:ListAccessKeys on itself.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "ram-endpoint", Usage: "RAM API host[:port]", Value: ramkeys.DefaultEndpoint, EnvVars: []string{"ALIROLE_RAM_ENDPOINT"}},
		},
		BashComplete: e.completeProfiles,
		Action:       e.rotate,
	}
}

func (e Env) rotate(c *cli.Context) error {
	name, err := profileArg(c)
	if err != nil {
		return err
	}
	s, err := e.open(c)
	if err != nil {
		return err
	}
	p, err := s.cfg.Profile(name)
	if err != nil {
		return err
	}
	if !p.UsesKeychainAK() {
		if !p.IsRoot() {
			chain, err := s.cfg.Chain(name)
			if err != nil {
				return err
			}
			root := chain[0].Name
			return fmt.Errorf("profile %q takes its credentials from source_profile %q: rotate the key of the profile that stores it ('alirole rotate %s')", name, p.SourceProfile, root)
		}
		return fmt.Errorf("profile %q uses credential_source = %s, not a stored AccessKey: there is no key for alirole to rotate", name, p.CredentialSource)
	}
	old, err := s.store.AccessKey(name)
	if err != nil {
		return err
	}
	stsEndpoint := c.String("sts-endpoint")
	if stsEndpoint == "" {
		stsEndpoint = p.StsEndpoint
	}
	stsEndpoint = identity.Endpoint(stsEndpoint, s.cfg.Region(name))
	opts := ramkeys.Options{
		RAM: ramkeys.SDKClient{Endpoint: c.String("ram-endpoint")},
		Identify: func(_ context.Context, k keychain.AccessKey) (string, error) {
			id, err := identity.Get(creds.Credentials{AccessKeyID: k.ID, AccessKeySecret: k.Secret}, stsEndpoint, 10*time.Second)
			return id.Arn, err
		},
		Save: func(k keychain.AccessKey) error { return s.store.SetAccessKey(name, k) },
		ClearSessions: func() (int, error) {
			return clearDependents(s.cfg, s.store, name)
		},
		Log: s.log,
	}
	fmt.Fprintf(e.Stderr, "Rotating AccessKey %s of profile %q...\n", old.ID, name)
	res, err := ramkeys.Rotate(c.Context, opts, old)
	for _, w := range res.Warnings {
		fmt.Fprintln(e.Stderr, "alirole: warning: "+w)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.Stderr, "Created and stored AccessKey %s for %s.\n", res.NewID, res.Identity)
	if res.Cleared > 0 {
		fmt.Fprintf(e.Stderr, "Cleared %d cached session(s) made with the old key.\n", res.Cleared)
	}
	fmt.Fprintf(e.Stderr, "Deleted the old AccessKey %s.\n", res.OldID)
	return nil
}
