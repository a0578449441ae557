package config

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// The ARN checks replaced these expressions (compiling them cost every run
// start-up time); they must accept exactly the same strings.
var (
	refRoleArn      = regexp.MustCompile(`^acs:ram::[0-9]{12,16}:role/[\w.@+=,-]{1,64}$`)
	refOIDCProvider = regexp.MustCompile(`^acs:ram::[0-9]{12,16}:oidc-provider/[\w.@+=,-]{1,128}$`)
)

func TestRAMArnChecksMatchTheGrammar(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []string{
		"acs:ram::1234567890123456:role/admin",
		"acs:ram::12345:role/a",
		"acs:ram::1234:role/a", // account too short
		"acs:ram::" + strings.Repeat("1", 20) + ":role/a",
		"acs:ram::" + strings.Repeat("1", 21) + ":role/a",
		"acs:ram::12345:role/" + long(64),
		"acs:ram::12345:role/" + long(65),
		"acs:ram::12345:role/",
		"acs:ram::12345:role/a.b@c+d=e,f-g_H9",
		"acs:ram::12345:role/a b",
		"acs:ram::12345:role/a:b",
		"acs:ram::12345:role/a/b",
		"acs:ram::12345:role/é",
		"acs:ram::12345:role/a\n",
		"acs:ram::12a45:role/a",
		"acs:ram::12345::role/a",
		"acs:ram:12345:role/a",
		"ACS:RAM::12345:role/a",
		"acs:ram::12345:ROLE/a",
		"xacs:ram::12345:role/a",
		"acs:ram::12345:user/a",
		"acs:ram::12345:oidc-provider/github",
		"acs:ram::12345:oidc-provider/" + long(128),
		"acs:ram::12345:oidc-provider/" + long(129),
		"acs:ram::12345:oidc-provider/",
		"acs:ram::12345:role",
		"",
	}
	// Random mutations of valid ARNs reach the corners a table misses.
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("acsrmoletdiupvh0123456789:/.@+=,-_ Aé\x00")
	for i := 0; i < 5000; i++ {
		base := []byte([]string{cases[0], cases[21]}[i%2])
		for n := rng.IntN(4); n >= 0; n-- {
			pos := rng.IntN(len(base) + 1)
			switch rng.IntN(3) {
			case 0: // insert
				base = append(base[:pos], append([]byte{alphabet[rng.IntN(len(alphabet))]}, base[pos:]...)...)
			case 1: // delete
				if pos < len(base) {
					base = append(base[:pos], base[pos+1:]...)
				}
			default: // replace
				if pos < len(base) {
					base[pos] = alphabet[rng.IntN(len(alphabet))]
				}
			}
		}
		cases = append(cases, string(base))
	}
	for _, v := range cases {
		if got, want := validRoleArn(v), refRoleArn.MatchString(v); got != want {
			t.Errorf("validRoleArn(%q) = %v, the grammar says %v", v, got, want)
		}
		if got, want := validOIDCProviderArn(v), refOIDCProvider.MatchString(v); got != want {
			t.Errorf("validOIDCProviderArn(%q) = %v, the grammar says %v", v, got, want)
		}
	}
}
