package commands

import (
	"bufio"
	"fmt"
	"sort"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/keychain"
)

// List is `alirole list`.
func List(e Env) *cli.Command {
	return &cli.Command{
		Name:    "list",
		Aliases: []string{"ls"},
		Usage:   "show profiles, their sources, stored keys and cached sessions",
		Flags:   []cli.Flag{&cli.BoolFlag{Name: "profiles", Usage: "print profile names only, one per line"}},
		Action:  e.list,
	}
}

func (e Env) list(c *cli.Context) error {
	cfg, err := e.loadConfig(c)
	if err != nil {
		return err
	}
	if c.Bool("profiles") {
		return e.listNames(cfg)
	}
	store, err := e.openStore(c)
	if err != nil {
		return err
	}
	stored, err := store.Profiles()
	if err != nil {
		return fmt.Errorf("list stored keys: %w", err)
	}
	latest, err := e.latestReadableSessions(store)
	if err != nil {
		return err
	}
	orphans := orphanKeys(cfg, stored)
	if len(cfg.Names()) == 0 && len(orphans) == 0 {
		// A bare table header tells a new user nothing.
		fmt.Fprintf(e.Stderr, "No profiles yet (none in %s, no keys stored).\n"+
			"Start with 'alirole add PROFILE': it stores an AccessKey in the keychain and adds [profile PROFILE] to that file;\n"+
			"then add role profiles with source_profile and ram_role_arn (see the README's Configuration section).\n", cfg.Path)
		return nil
	}
	return e.writeList(cfg, store, stored, orphans, latest)
}

// listNames is `list --profiles`.
func (e Env) listNames(cfg *config.Config) error {
	// Buffered: one write per line costs a system call per profile.
	out := bufio.NewWriter(e.Stdout)
	for _, n := range cfg.Names() {
		fmt.Fprintln(out, n)
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("write profile names: %w", err)
	}
	return nil
}

// latestReadableSessions is latestSessions of the cached sessions. A
// session that cannot be read shows as "-" in the list; it says why, or a
// wrong passphrase looks like an empty cache.
func (e Env) latestReadableSessions(store *keychain.Store) (map[string]keychain.Session, error) {
	sessions, err := store.Sessions("")
	if err != nil {
		return nil, fmt.Errorf("list cached sessions: %w", err)
	}
	var unreadable []error
	for _, en := range sessions {
		if en.Err != nil {
			unreadable = append(unreadable, en.Err)
		}
	}
	if len(unreadable) > 0 {
		fmt.Fprintf(e.Stderr, "alirole: warning: %d cached session(s) could not be read: %v\n", len(unreadable), unreadable[0])
	}
	return latestSessions(sessions), nil
}

// orphanKeys lists, sorted, the stored keys of profiles the file does not
// define.
func orphanKeys(cfg *config.Config, stored []string) []string {
	orphans := []string{}
	for _, p := range stored {
		if _, err := cfg.Profile(p); err != nil {
			orphans = append(orphans, p)
		}
	}
	sort.Strings(orphans)
	return orphans
}

// writeList writes the table of profiles, then the orphaned keys and the
// CloudSSO and OAuth tokens.
func (e Env) writeList(cfg *config.Config, store *keychain.Store, stored, orphans []string, latest map[string]keychain.Session) error {
	hasKey := map[string]bool{}
	for _, p := range stored {
		hasKey[p] = true
	}
	now := e.Now()
	// tabwriter writes every cell and every run of padding on its own:
	// unbuffered, 5,000 profiles took some 46,000 write system calls.
	out := bufio.NewWriter(e.Stdout)
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "PROFILE\tSOURCE / ROLE\tSTORED KEY\tSESSION")
	for _, n := range cfg.Names() {
		p, _ := cfg.Profile(n)
		key := "-"
		if p.UsesKeychainAK() {
			key = yesNo(hasKey[n])
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", n, describeSource(p), key, sessionState(latest[n], now))
	}
	for _, n := range orphans {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", n, "(not in config)", "yes", sessionState(latest[n], now))
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write list: %w", err)
	}
	if err := writeSSOTokens(out, cfg, store, now); err != nil {
		return err
	}
	if err := out.Flush(); err != nil {
		return fmt.Errorf("write list: %w", err)
	}
	return nil
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func describeSource(p *config.Profile) string {
	var src string
	switch {
	case !p.IsRoot():
		src = "profile " + p.SourceProfile
	case p.CredentialSource == config.SourceKeychain:
		src = "keychain"
	default:
		src = p.CredentialSource
	}
	if p.AssumesRole() {
		src += " -> " + p.RamRoleArn
	}
	return src
}

// latestSessions picks, per profile, the cached session that lasts longest.
func latestSessions(entries []keychain.SessionEntry) map[string]keychain.Session {
	out := map[string]keychain.Session{}
	for _, en := range entries {
		if en.Err != nil {
			continue
		}
		cur, ok := out[en.Session.Profile]
		if !ok || en.Session.Credentials.Expiration.After(cur.Credentials.Expiration) {
			out[en.Session.Profile] = en.Session
		}
	}
	return out
}

func sessionState(s keychain.Session, now time.Time) string {
	if s.Profile == "" {
		return "-"
	}
	left := s.Credentials.Expiration.Sub(now)
	if left <= 0 {
		return "expired"
	}
	return timeLeft(left) + " left"
}
