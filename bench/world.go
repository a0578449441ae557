package main

import (
	"fmt"
	"strings"

	"github.com/alirole/alirole/internal/stsemu"
)

// The bench world: user alice and a chain of five roles, hop1 trusting
// alice and each further role trusting the previous one, so that profile
// hopN is an N-hop resolution.
const (
	acct        = "1111222233334444"
	aliceKeyID  = "LTAI5tBenchAliceKey00001"
	aliceSecret = "BenchAliceSecret0123456789abcdef"
	maxHops     = 5
)

func benchWorld() *stsemu.World {
	roles := make([]stsemu.Role, 0, maxHops)
	prev := stsemu.UserARN(acct, "alice")
	for i := 1; i <= maxHops; i++ {
		name := fmt.Sprintf("hop%d", i)
		roles = append(roles, stsemu.Role{Name: name, Trust: []stsemu.Trust{{Principal: prev}}})
		prev = stsemu.RoleARN(acct, name)
	}
	return &stsemu.World{Accounts: []stsemu.Account{{
		ID:    acct,
		Users: []stsemu.User{{Name: "alice", AccessKeys: []stsemu.AccessKey{{ID: aliceKeyID, Secret: aliceSecret}}}},
		Roles: roles,
	}}}
}

// chainConfig is alice plus profiles hop1..hop5.
func chainConfig() string {
	var b strings.Builder
	b.WriteString("[profile alice]\nregion_id = cn-hangzhou\n")
	prev := "alice"
	for i := 1; i <= maxHops; i++ {
		name := fmt.Sprintf("hop%d", i)
		fmt.Fprintf(&b, "\n[profile %s]\nsource_profile = %s\nram_role_arn = %s\n", name, prev, stsemu.RoleARN(acct, name))
		prev = name
	}
	return b.String()
}

// largeConfig is the chain config plus n generated profiles shaped like a
// big organisation's file: one keychain root per 25 profiles, the others
// role profiles chained one to three deep below it, with the usual keys.
func largeConfig(n int) string {
	var b strings.Builder
	b.WriteString(chainConfig())
	root := ""
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("team%03d-env%02d", i/25, i%25)
		switch {
		case i%25 == 0:
			root = name
			fmt.Fprintf(&b, "\n# account %d\n[profile %s]\nregion_id = cn-shanghai\n", i/25, name)
		default:
			src := root
			if i%25 > 3 {
				// Chain through one of the first role profiles of the team.
				src = fmt.Sprintf("team%03d-env%02d", i/25, 1+i%3)
			}
			fmt.Fprintf(&b, "\n[profile %s]\nsource_profile = %s\nram_role_arn = acs:ram::%d:role/role-%d\nram_session_name = bench\nduration = 1h\n",
				name, src, 100000000000+int64(i/25), i)
			if i%5 == 0 {
				fmt.Fprintf(&b, "region_id = cn-beijing\nexternal_id = ext-%d\n", i)
			}
		}
	}
	return b.String()
}
