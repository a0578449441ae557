package config

import "fmt"

// Config is a validated profile file. It is read-only after Parse: lookups
// return copies, so callers cannot change what others see.
type Config struct {
	// Path is the file the profiles came from (kept even when it does not
	// exist, so messages can say where to add one).
	Path string
	// Warnings are non-fatal findings, in file order.
	Warnings []Warning

	profiles map[string]*Profile
	names    []string // sorted
}

// Names returns the profile names, sorted.
func (c *Config) Names() []string {
	return append([]string(nil), c.names...)
}

// Profile returns a copy of the named profile, or a *NotFoundError
// (errors.Is ErrProfileNotFound) with close matches and the file path.
func (c *Config) Profile(name string) (*Profile, error) {
	p, ok := c.profiles[name]
	if !ok {
		return nil, &NotFoundError{Name: name, Path: c.Path, Suggestions: suggest(name, c.names, 3)}
	}
	cp := *p
	return &cp, nil
}

// Chain returns the profiles from the root (no source_profile) to name,
// root first and name last. Parse rejects cycles and dangling references;
// Chain checks again so a hand-built Config cannot make it loop.
func (c *Config) Chain(name string) ([]*Profile, error) {
	var rev []*Profile
	seen := make(map[string]bool)
	for cur := name; ; {
		p, err := c.Profile(cur)
		if err != nil {
			if cur != name {
				return nil, fmt.Errorf("profile %q: source_profile: %w", rev[len(rev)-1].Name, err)
			}
			return nil, err
		}
		if seen[cur] {
			return nil, fmt.Errorf("profile %q: source_profile cycle through %q", name, cur)
		}
		seen[cur] = true
		rev = append(rev, p)
		if p.SourceProfile == "" {
			break
		}
		cur = p.SourceProfile
	}
	chain := make([]*Profile, len(rev))
	for i, p := range rev {
		chain[len(rev)-1-i] = p
	}
	return chain, nil
}

// Region returns the profile's region_id, else the nearest one along its
// source_profile chain, else "".
func (c *Config) Region(name string) string {
	seen := make(map[string]bool)
	for p := c.profiles[name]; p != nil && !seen[p.Name]; p = c.profiles[p.SourceProfile] {
		if p.RegionID != "" {
			return p.RegionID
		}
		seen[p.Name] = true
	}
	return ""
}
