package commands

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/internal/scrub"
	"github.com/alirole/alirole/internal/sso"
)

// ssoPopulateCommand is `alirole sso populate`.
func ssoPopulateCommand(e Env) *cli.Command {
	return &cli.Command{
		Name:  "populate",
		Usage: "write a profile for every CloudSSO account and access configuration you are assigned",
		Description: "Lists the accounts and access configurations of the signed-in user (signing in first if\n" +
			"needed) and appends one cloudsso profile per pair to the config, named\n" +
			"PREFIX<account>-<access configuration> in lower case. Pairs that a profile already covers\n" +
			"are left alone, and a profile you wrote is never changed: run it again at any time.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "sign-in-url", Required: true, Usage: "CloudSSO user portal sign-in URL"},
			&cli.StringFlag{Name: "prefix", Value: "sso-", Usage: "prefix of the profile names"},
			&cli.StringFlag{Name: "region", Usage: "region_id of the new profiles"},
		},
		Action: e.ssoPopulate,
	}
}

// assignment is one account and access configuration.
type assignment struct {
	account sso.Account
	config  sso.AccessConfiguration
}

// profileSlug keeps a name readable and valid: lower case letters, digits
// and _ . @ -; runs of anything else become one '-'.
func profileSlug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || strings.ContainsRune("_.@", r) {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.Trim(b.String(), "-")
}

// populateNames names each assignment PREFIX<account>-<config>. An account
// whose display name is empty or shared with another account is named by
// its id, so names never depend on listing order.
func populateNames(prefix string, as []assignment) []string {
	accountsBySlug := map[string]map[string]bool{}
	for _, a := range as {
		s := profileSlug(a.account.DisplayName)
		if accountsBySlug[s] == nil {
			accountsBySlug[s] = map[string]bool{}
		}
		accountsBySlug[s][a.account.AccountID] = true
	}
	names := make([]string, len(as))
	for i, a := range as {
		acct := profileSlug(a.account.DisplayName)
		if acct == "" || len(accountsBySlug[acct]) > 1 {
			acct = a.account.AccountID
		}
		cfg := profileSlug(a.config.Name)
		if cfg == "" {
			cfg = a.config.ID
		}
		name := prefix + acct + "-" + cfg
		if len(name) > 64 {
			name = name[:64]
		}
		names[i] = name
	}
	return names
}

func (e Env) ssoPopulate(c *cli.Context) error {
	u := c.String("sign-in-url")
	if msg := config.SignInURLProblem(u); msg != "" {
		return fmt.Errorf("--sign-in-url: %s, got %q", msg, u)
	}
	if p := c.String("prefix"); p != "" && profileSlug(p) != strings.Trim(strings.ToLower(p), "-") {
		return fmt.Errorf("--prefix %q: use lower-case letters, digits and _ . @ -", p)
	}
	s, err := e.open(c)
	if err != nil {
		return err
	}
	m := s.ssoManager(c)
	portal := m.Portal(u)
	var as []assignment
	for attempt := 1; ; attempt++ {
		tok, _, err := m.Token(c.Context, u)
		if err != nil {
			return err
		}
		as, err = listAssignments(c, portal, tok)
		if err == nil {
			break
		}
		if !sso.IsInvalidToken(err) || attempt > 1 {
			return fmt.Errorf("list CloudSSO assignments: %w", err)
		}
		m.Rejected(u, tok) // one new sign-in, then give up
	}
	if len(as) == 0 {
		fmt.Fprintf(e.Stderr, "No accounts or access configurations are assigned to you at %s.\n", u)
		return nil
	}
	return e.addAssignments(c, s.cfg, u, as)
}

// coveredAssignments maps each "account/access configuration" the config
// already has a cloudsso profile for, at sign-in URL u, to that profile.
func coveredAssignments(cfg *config.Config, u string) map[string]string {
	covered := map[string]string{}
	for _, n := range cfg.Names() {
		if p, _ := cfg.Profile(n); p.IsRoot() && p.CredentialSource == config.SourceCloudSSO && p.CloudSSOSignInURL == u {
			covered[p.CloudSSOAccountID+"/"+p.CloudSSOAccessConfig] = n
		}
	}
	return covered
}

// addAssignments adds a cloudsso profile for each assignment the config
// does not cover yet, under a name no profile uses, and says what it did.
func (e Env) addAssignments(c *cli.Context, cfg *config.Config, u string, as []assignment) error {
	covered := coveredAssignments(cfg, u)
	names := populateNames(c.String("prefix"), as)
	added, kept := 0, 0
	var conflicts []string
	for i, a := range as {
		key := a.account.AccountID + "/" + a.config.ID
		if n, ok := covered[key]; ok {
			kept++
			fmt.Fprintf(e.Stderr, "  %-40s already in the config (%s / %s)\n", n, scrub.Control(a.account.DisplayName), scrub.Control(a.config.Name))
			continue
		}
		name := names[i]
		if _, err := cfg.Profile(name); err == nil {
			conflicts = append(conflicts, name)
			fmt.Fprintf(e.Stderr, "  %-40s skipped: a profile of this name exists and is not this assignment; kept yours (account %s, %s)\n", name, scrub.Control(a.account.AccountID), scrub.Control(a.config.ID))
			continue
		}
		keys := []config.KeyValue{
			{Key: "credential_source", Value: config.SourceCloudSSO},
			{Key: "cloud_sso_sign_in_url", Value: u},
			{Key: "cloud_sso_account_id", Value: a.account.AccountID},
			{Key: "cloud_sso_access_config", Value: a.config.ID},
			{Key: "region_id", Value: c.String("region")},
		}
		created, err := config.AppendProfile(cfg.Path, name, keys)
		if err != nil {
			return fmt.Errorf("write profile %q: %w", name, err)
		}
		if !created {
			conflicts = append(conflicts, name)
			continue
		}
		added++
		fmt.Fprintf(e.Stderr, "  %-40s added (%s / %s)\n", name, scrub.Control(a.account.DisplayName), scrub.Control(a.config.Name))
	}
	fmt.Fprintf(e.Stderr, "%d profile(s) added, %d already present, %d skipped, in %s.\n", added, kept, len(conflicts), cfg.Path)
	if len(conflicts) > 0 {
		fmt.Fprintf(e.Stderr, "alirole: warning: %d assignment(s) got no profile because their names are taken (%s); run again with another --prefix to add them\n", len(conflicts), strings.Join(conflicts, ", "))
	}
	return nil
}

func listAssignments(c *cli.Context, p *sso.Portal, tok string) ([]assignment, error) {
	accounts, err := p.ListAccounts(c.Context, tok)
	if err != nil {
		return nil, err
	}
	sort.Slice(accounts, func(i, j int) bool { return accounts[i].AccountID < accounts[j].AccountID })
	var out []assignment
	for _, a := range accounts {
		if !config.ValidCloudSSOAccountID(a.AccountID) {
			return nil, errors.New("the portal listed an account id that is not 5-20 digits")
		}
		cfgs, err := p.ListAccessConfigurations(c.Context, tok, a.AccountID)
		if err != nil {
			return nil, err
		}
		sort.Slice(cfgs, func(i, j int) bool { return cfgs[i].ID < cfgs[j].ID })
		for _, cf := range cfgs {
			if !config.ValidAccessConfigID(cf.ID) {
				return nil, fmt.Errorf("the portal listed an access configuration id %q alirole does not recognise", printableID(cf.ID))
			}
			out = append(out, assignment{account: a, config: cf})
		}
	}
	return out, nil
}

func printableID(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
