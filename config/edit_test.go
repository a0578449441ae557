package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// noTempFiles fails if a temp file from writeFileAtomic was left behind.
func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temp file left: %s", e.Name())
		}
	}
}

func TestAppendProfileCreatesFileAndDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "alirole")
	path := filepath.Join(dir, "config")
	created, err := AppendProfile(path, "prod", []KeyValue{
		{"region_id", "cn-hangzhou"}, {"ram_role_arn", arn}, {"external_id", ""},
	})
	if err != nil || !created {
		t.Fatalf("created %v err %v", created, err)
	}
	if got, want := string(readFile(t, path)), "[profile prod]\nregion_id = cn-hangzhou\nram_role_arn = "+arn+"\n"; got != want {
		t.Errorf("content %q want %q", got, want)
	}
	for p, want := range map[string]os.FileMode{dir: 0o700, path: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s mode %v want %v", p, fi.Mode().Perm(), want)
		}
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if p, _ := cfg.Profile("prod"); p.RamRoleArn != arn || p.ExternalID != "" {
		t.Errorf("profile %+v", p)
	}
	noTempFiles(t, dir)
}

func TestAppendProfilePreservesContent(t *testing.T) {
	tests := map[string]string{
		"plain":          "# my profiles\n[default]\nregion_id=cn-beijing   \n\n; the end\n",
		"no final eol":   "[profile a]\n  region_id =   cn-a",
		"crlf":           "[profile a]\r\nregion_id = cn-a\r\n",
		"only comments":  "# nothing yet\n",
		"trailing blank": "[profile a]\n\n\n",
		"empty":          "",
		"bom":            "\ufeff[profile a]\nregion_id = cn-a\n",
	}
	for name, old := range tests {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "config")
			writeFile(t, path, old, 0o640)
			before, _ := os.Stat(path)
			created, err := AppendProfile(path, "new", []KeyValue{{"source_profile", sourceFor(old)}, {"ram_role_arn", arn}})
			if err != nil || !created {
				t.Fatalf("created %v err %v", created, err)
			}
			got := readFile(t, path)
			if !bytes.HasPrefix(got, []byte(old)) {
				t.Fatalf("existing bytes changed:\n%q\n%q", old, got)
			}
			if strings.Contains(old, "\r\n") && strings.Count(string(got), "\n") != strings.Count(string(got), "\r\n") {
				t.Errorf("mixed line endings: %q", got)
			}
			cfg, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			p, err := cfg.Profile("new")
			if err != nil || p.RamRoleArn != arn {
				t.Fatalf("new profile %+v %v", p, err)
			}
			after, _ := os.Stat(path)
			if after.Mode().Perm() != 0o640 {
				t.Errorf("mode %v, want kept 0640", after.Mode().Perm())
			}
			// Replaced by rename, not rewritten in place: readers never see
			// a half-written file.
			if os.SameFile(before, after) {
				t.Error("file was rewritten in place")
			}
			noTempFiles(t, filepath.Dir(path))
		})
	}
}

// sourceFor picks a source_profile that exists in old, or none.
func sourceFor(old string) string {
	switch {
	case strings.Contains(old, "[default]"):
		return "default"
	case strings.Contains(old, "[profile a]"):
		return "a"
	}
	return ""
}

func TestAppendProfileExisting(t *testing.T) {
	for _, tt := range []struct{ old, name string }{
		{"[profile prod]\nregion_id = cn-a\n", "prod"},
		{"[default]\n", "default"},
		{"[profile default]\n", "default"},
	} {
		path := filepath.Join(t.TempDir(), "config")
		writeFile(t, path, tt.old, 0o600)
		created, err := AppendProfile(path, tt.name, []KeyValue{{"region_id", "cn-b"}})
		if err != nil || created {
			t.Errorf("%s: created %v err %v", tt.name, created, err)
		}
		if got := string(readFile(t, path)); got != tt.old {
			t.Errorf("file changed: %q", got)
		}
	}
}

func TestAppendProfileDefaultHeader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	if _, err := AppendProfile(path, "default", []KeyValue{{"region_id", "cn-a"}}); err != nil {
		t.Fatal(err)
	}
	if got := string(readFile(t, path)); got != "[default]\nregion_id = cn-a\n" {
		t.Errorf("content %q", got)
	}
}

func TestAppendProfileRefuses(t *testing.T) {
	const old = "# keep me\n[profile a]\nregion_id = cn-a\n"
	tests := []struct {
		name    string
		old     string
		profile string
		keys    []KeyValue
		msg     string
	}{
		{"bad name", old, "a b", nil, "may only contain"},
		{"bad arn", old, "b", []KeyValue{{"ram_role_arn", "nope"}}, "ram_role_arn: expected acs:ram::"},
		{"unknown key", old, "b", []KeyValue{{"colour", "x"}}, `unknown key "colour"`},
		{"newline injection", old, "b", []KeyValue{{"region_id", "cn-a\n[profile evil]"}}, "one line"},
		{"missing source", old, "b", []KeyValue{{"source_profile", "zzz"}}, `"zzz" is not defined`},
		{"broken file", "[oops]\n", "b", []KeyValue{{"region_id", "cn-a"}}, "fix the existing errors"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "config")
			writeFile(t, path, tt.old, 0o600)
			created, err := AppendProfile(path, tt.profile, tt.keys)
			if err == nil || created || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("created %v err %v, want %q", created, err, tt.msg)
			}
			if got := string(readFile(t, path)); got != tt.old {
				t.Errorf("file changed: %q", got)
			}
			noTempFiles(t, dir)
		})
	}
}

func TestAppendProfileThroughSymlink(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "dotfiles", "config")
	writeFile(t, real, "[profile a]\n", 0o600)
	link := filepath.Join(dir, "config")
	if err := os.Symlink(real, link); err != nil {
		t.Skip("symlinks unsupported:", err)
	}
	if _, err := AppendProfile(link, "b", []KeyValue{{"source_profile", "a"}}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Lstat(link)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("link replaced: %v %v", fi.Mode(), err)
	}
	if got := string(readFile(t, real)); got != "[profile a]\n\n[profile b]\nsource_profile = a\n" {
		t.Errorf("target %q", got)
	}
}

// TestAppendProfileConcurrent: parallel appends of distinct profiles all
// land (the edit is locked from read to write).
func TestAppendProfileConcurrent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config")
	const n = 20
	errs := make(chan error, n)
	for i := range n {
		go func() {
			_, err := AppendProfile(path, fmt.Sprintf("p%d", i), []KeyValue{{"region_id", "cn-hangzhou"}})
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := Parse(path, readFile(t, path))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(cfg.Names()); got != n {
		t.Fatalf("%d of %d profiles in the file:\n%s", got, n, readFile(t, path))
	}
	noTempFiles(t, filepath.Dir(path))
}
