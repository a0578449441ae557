package commands

import (
	"errors"
	"fmt"
	"time"

	"github.com/aliyun/credentials-go/credentials/providers"
	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/internal/creds"
	"github.com/alirole/alirole/internal/identity"
)

// Whoami is `alirole whoami [PROFILE]`.
func Whoami(e Env) *cli.Command {
	return &cli.Command{
		Name:      "whoami",
		Usage:     "show the identity STS sees for a profile (or for the credentials in the environment)",
		ArgsUsage: "[PROFILE]",
		Description: "With PROFILE, resolves it and calls STS GetCallerIdentity. Without, uses the credentials\n" +
			"that the environment provides (as a program run by 'alirole exec' sees them).",
		Flags:        cacheFlags(),
		BashComplete: e.completeProfiles,
		Action:       e.whoami,
	}
}

func (e Env) whoami(c *cli.Context) error {
	var (
		cr       creds.Credentials
		endpoint = c.String("sts-endpoint")
		regionID string
		label    = "environment"
	)
	if c.NArg() > 0 {
		name := c.Args().First()
		s, _, res, err := e.resolveProfile(c, name)
		if err != nil {
			return err
		}
		cr, regionID, label = res.Credentials, res.Region, "profile "+name
		if endpoint == "" {
			if p, err := s.cfg.Profile(name); err == nil {
				endpoint = p.StsEndpoint
			}
		}
	} else {
		p, err := providers.NewEnvironmentVariableCredentialsProviderBuilder().Build()
		if err != nil {
			return err
		}
		pc, err := p.GetCredentials()
		if err != nil {
			// credentials-go's own text has a typo and no advice.
			return errors.New("no credentials in the environment: ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET are not both set; give a PROFILE ('alirole whoami PROFILE') or run inside 'alirole exec PROFILE'")
		}
		cr = creds.Credentials{AccessKeyID: pc.AccessKeyId, AccessKeySecret: pc.AccessKeySecret, SecurityToken: pc.SecurityToken}
		if exp, err := time.Parse(time.RFC3339, e.Getenv("ALIROLE_SESSION_EXPIRATION")); err == nil {
			cr.Expiration = exp
		}
		regionID = e.Getenv("ALIBABA_CLOUD_REGION_ID")
	}
	id, err := identity.Get(cr, identity.Endpoint(endpoint, regionID), 10*time.Second)
	if err != nil {
		return fmt.Errorf("%s: %w", label, err)
	}
	w := e.Stdout
	fmt.Fprintf(w, "Account:  %s\n", id.AccountID)
	fmt.Fprintf(w, "Arn:      %s\n", id.Arn)
	fmt.Fprintf(w, "Type:     %s\n", id.IdentityType)
	fmt.Fprintf(w, "Key:      %s\n", cr.AccessKeyID)
	if cr.Expires() {
		fmt.Fprintf(w, "Expires:  %s (%s left)\n", cr.ExpirationString(), timeLeft(cr.Expiration.Sub(e.Now())))
	}
	return nil
}
