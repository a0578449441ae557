package config

import (
	"errors"
	"os"
	"sort"
	"strings"
	"testing"
)

func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"",
		"[default]\nregion_id = cn-hangzhou\n",
		"[profile a]\nsource_profile = b\n[profile b]\nsource_profile = a\n",
		"[profile a]\nsource_profile = a\n",
		"[profile o]\ncredential_source = oidc\noidc_provider_arn = acs:ram::123456789012:oidc-provider/p\noidc_token_file = ~/t\nram_role_arn = acs:ram::123456789012:role/r\n",
		"[profile x]\nram_role_arn = acs:ram::123456789012:role/r\nduration = 1h\npolicy = {}\nsts_endpoint = [::1]:443\n",
		"[profile x]\npolicy_file = p.json\nexpired_seconds = 900\n",
		"[prod]\nregion = x\n[profile]\n= \n[profile a b]\nk\n",
		"\ufeff[default]\r\n[profile default]\r\nregion_id=\r\n",
		"[profile a]\nregoin_id = 1\ncredential_source = nope\ncli_profile = x\n",
	} {
		f.Add([]byte(seed))
	}
	const path = "/fuzz/dir/config"
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseWithOptions(path, data, Options{
			Home: "/home/u",
			ReadFile: func(p string) ([]byte, error) {
				if strings.HasSuffix(p, ".json") {
					return []byte(`{"Version":"1"}`), nil
				}
				return nil, os.ErrNotExist
			},
		})
		if err != nil {
			if cfg != nil {
				t.Fatal("config returned with an error")
			}
			parts := []error{err}
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				parts = j.Unwrap()
			}
			for _, p := range parts {
				var e *Error
				if !errors.As(p, &e) || e.File != path || !strings.HasPrefix(p.Error(), path) {
					t.Fatalf("error without the file path: %q", p)
				}
				if e.Line < 1 {
					t.Fatalf("error without a line: %q", p)
				}
			}
			return
		}
		names := cfg.Names()
		if !sort.StringsAreSorted(names) {
			t.Fatalf("names not sorted: %v", names)
		}
		for _, n := range names {
			chain, err := cfg.Chain(n)
			if err != nil {
				t.Fatalf("valid config but Chain(%q): %v", n, err)
			}
			if chain[len(chain)-1].Name != n || !chain[0].IsRoot() {
				t.Fatalf("bad chain for %q", n)
			}
			_ = cfg.Region(n)
		}
		for _, w := range cfg.Warnings {
			if !strings.HasPrefix(w.String(), path) {
				t.Fatalf("warning without path: %s", w)
			}
		}
	})
}
