package resolve

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/99designs/keyring"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/internal/creds"
	"github.com/alirole/alirole/keychain"
)

// hopKeyBase is the chain the key table edits: base -> admin -> prod, plus
// spare sources for source_profile edits.
const hopKeyBase = `
[profile base]
region_id = cn-hangzhou

[profile other]

[profile ecs]
credential_source = ecs_ram_role
ecs_ram_role_name = worker

[profile admin]
source_profile = base
ram_role_arn = acs:ram::1111222233334444:role/admin

[profile prod]
source_profile = admin
ram_role_arn = acs:ram::1111222233334444:role/prod
`

// prodHopKey builds prod's chain from cfgText (with edits applied) and
// returns the cache key of its last hop, the way Resolve derives it.
func prodHopKey(t *testing.T, cfgText, sessionUser, stsEndpoint string) string {
	t.Helper()
	cfg, err := config.Parse("config", []byte(cfgText))
	if err != nil {
		t.Fatalf("config: %v\n%s", err, cfgText)
	}
	r, err := New(Options{Config: cfg, Store: keychain.New(keyring.NewArrayKeyring(nil)), LockDir: t.TempDir(), SessionUser: sessionUser, STSEndpoint: stsEndpoint})
	if err != nil {
		t.Fatal(err)
	}
	chain, err := cfg.Chain("prod")
	if err != nil {
		t.Fatal(err)
	}
	p, err := r.build(context.Background(), chain)
	if err != nil {
		t.Fatal(err)
	}
	h, ok := p.top.(redacting).node.(*hopNode)
	if !ok {
		t.Fatalf("top node is %T, want a hop", p.top.(redacting).node)
	}
	return h.key
}

// edit adds line to section [profile name] of hopKeyBase, or replaces the
// line starting with replace there.
func edit(name, replace, line string) string {
	var out []string
	in := false
	for _, l := range strings.Split(hopKeyBase, "\n") {
		if strings.HasPrefix(l, "[") {
			in = l == "[profile "+name+"]"
			if in {
				out = append(out, l)
				if replace == "" {
					out = append(out, line)
				}
				continue
			}
		}
		if in && replace != "" && strings.HasPrefix(l, replace) {
			l = line
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// TestHopKeyFields: every field that defines the session a hop asks for
// changes its cache key, here or upstream, so an edited profile is never
// served the old chain's session; where the hop calls STS and the region
// handed to programs do not, so they keep the cache.
func TestHopKeyFields(t *testing.T) {
	const user = "alice"
	base := prodHopKey(t, hopKeyBase, user, "")
	cases := []struct {
		name     string
		cfg      string
		user     string
		endpoint string
		changes  bool
	}{
		{"external_id", edit("prod", "", "external_id = abc-123"), user, "", true},
		{"policy", edit("prod", "", `policy = {"Version":"1","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`), user, "", true},
		{"duration", edit("prod", "", "duration = 2h"), user, "", true},
		{"expired_seconds", edit("prod", "", "expired_seconds = 1800"), user, "", true},
		{"ram_role_arn", edit("prod", "ram_role_arn", "ram_role_arn = acs:ram::1111222233334444:role/prod2"), user, "", true},
		{"ram_session_name", edit("prod", "", "ram_session_name = ci-run"), user, "", true},
		{"default session name (OS user)", hopKeyBase, "bob", "", true},
		{"upstream source_profile", edit("admin", "source_profile", "source_profile = other"), user, "", true},
		{"upstream source kind", edit("admin", "source_profile", "source_profile = ecs"), user, "", true},
		{"upstream source parameter", strings.Replace(edit("admin", "source_profile", "source_profile = ecs"), "worker", "builder", 1), user, "", true},
		{"upstream role", edit("admin", "ram_role_arn", "ram_role_arn = acs:ram::1111222233334444:role/admin2"), user, "", true},
		{"upstream external_id", edit("admin", "", "external_id = up-1"), user, "", true},
		{"upstream policy", edit("admin", "", `policy = {"Version":"1","Statement":[]}`), user, "", true},
		{"upstream duration", edit("admin", "", "duration = 30m"), user, "", true},
		{"upstream session name", edit("admin", "", "ram_session_name = other"), user, "", true},

		{"unchanged config", hopKeyBase, user, "", false},
		{"duration = STS default", edit("prod", "", "duration = 1h"), user, "", false},
		{"region_id", edit("prod", "", "region_id = cn-beijing"), user, "", false},
		{"upstream region_id", edit("base", "region_id", "region_id = cn-shenzhen"), user, "", false},
		{"sts_region", edit("prod", "", "sts_region = cn-shanghai"), user, "", false},
		{"sts_endpoint", edit("prod", "", "sts_endpoint = sts.cn-shanghai.aliyuncs.com"), user, "", false},
		{"enable_vpc", edit("prod", "", "sts_region = cn-shanghai\nenable_vpc = true"), user, "", false},
		{"--sts-endpoint", hopKeyBase, user, "sts.ap-southeast-1.aliyuncs.com", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := prodHopKey(t, c.cfg, c.user, c.endpoint)
			if changed := got != base; changed != c.changes {
				t.Errorf("key changed = %v, want %v (key %s, base %s)", changed, c.changes, got, base)
			}
		})
	}
}

// TestPruneAfterStore: storing a new session also removes the profile's
// expired ones, so the keychain does not fill up with dead sessions.
func TestPruneAfterStore(t *testing.T) {
	emu := newTestEmulator(t)
	ts := newTestResolver(t, emu, nil)
	now := time.Now()
	dead := keychain.SessionKey("prod", "an old chain")
	err := ts.store.SetSession(dead, keychain.Session{
		Profile: "prod", RoleArn: testProdArn,
		Credentials: creds.Credentials{AccessKeyID: "STS.old", AccessKeySecret: "old-secret", SecurityToken: "old-token", Expiration: now.Add(-time.Hour)},
		Created:     now.Add(-2 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ts.r.Resolve(context.Background(), "prod"); err != nil {
		t.Fatal(err)
	}
	entries, err := ts.store.Sessions("prod")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Key == dead {
			t.Errorf("expired session %s is still stored after a new one was cached", dead)
		}
	}
	if len(entries) != 1 {
		t.Errorf("prod has %d sessions stored, want the new one only", len(entries))
	}
}
