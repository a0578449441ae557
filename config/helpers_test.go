package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testPath = "/etc/alirole/config"

// parseString parses src as testPath with a fake file system for policy_file.
func parseString(t testing.TB, src string, files map[string]string) (*Config, error) {
	t.Helper()
	return ParseWithOptions(testPath, []byte(src), Options{
		Home: "/home/u",
		ReadFile: func(p string) ([]byte, error) {
			if s, ok := files[p]; ok {
				return []byte(s), nil
			}
			return nil, &os.PathError{Op: "open", Path: p, Err: os.ErrNotExist}
		},
	})
}

// parseChain parses src and resolves the chain of profile name, failing the
// test on any error.
func parseChain(t testing.TB, src, name string) (*Config, []*Profile) {
	t.Helper()
	cfg, err := parseString(t, src, nil)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := cfg.Chain(name)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, chain
}

// oneError parses src and returns its error, failing the test unless there
// is exactly one.
func oneError(t testing.TB, src string) *Error {
	t.Helper()
	_, err := parseString(t, src, nil)
	errs := configErrors(t, err)
	if len(errs) != 1 {
		t.Fatalf("want one error, got %v", err)
	}
	return errs[0]
}

// configErrors flattens a joined error into its *Error parts, failing the
// test if any part is of another type.
func configErrors(t testing.TB, err error) []*Error {
	t.Helper()
	if err == nil {
		return nil
	}
	var parts []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		parts = j.Unwrap()
	} else {
		parts = []error{err}
	}
	out := make([]*Error, 0, len(parts))
	for _, p := range parts {
		var e *Error
		if !errors.As(p, &e) {
			t.Fatalf("error %q is %T, not *Error", p, p)
		}
		out = append(out, e)
	}
	return out
}

// generated builds n profiles: every tenth a root with an AK, the others
// chaining to the previous one, all with role options, like a big org file.
func generated(n int) string {
	var b strings.Builder
	b.WriteString("# generated\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "[profile p%d]\n", i)
		if i%10 == 0 {
			b.WriteString("region_id = cn-hangzhou\n")
			continue
		}
		fmt.Fprintf(&b, "source_profile = p%d\n", i-1)
		fmt.Fprintf(&b, "ram_role_arn = acs:ram::1234567890123456:role/role-%d\n", i)
		fmt.Fprintf(&b, "ram_session_name = s%d\nduration = 1h\nexternal_id = ext-%d\nsts_region = cn-shanghai\n\n", i, i)
	}
	return b.String()
}

func writeFile(t testing.TB, path, content string, perm os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
}
