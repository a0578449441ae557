package shellenv

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestWriteFormats(t *testing.T) {
	vars := []Var{
		{"A", "plain"},
		{"B", `it's "q" $HOME \ `},
		{"C", "l1\nl2\r"},
		{"D", ""},
		{"E", "‘curly’"},
	}
	tests := []struct {
		f    Format
		want string
	}{
		{FormatEnv, "export A='plain'\n" +
			`export B='it'\''s "q" $HOME \ '` + "\n" +
			"export C='l1\nl2\r'\n" +
			"export D=''\n" +
			"export E='‘curly’'\n"},
		{FormatFish, "set -gx A 'plain'\n" +
			`set -gx B 'it\'s "q" $HOME \\ '` + "\n" +
			"set -gx C 'l1\nl2\r'\n" +
			"set -gx D ''\n" +
			"set -gx E '‘curly’'\n"},
		{FormatPowerShell, "$Env:A = 'plain'\n" +
			`$Env:B = 'it''s "q" $HOME \ '` + "\n" +
			"$Env:C = 'l1\nl2\r'\n" +
			"$Env:D = ''\n" +
			"$Env:E = '‘‘curly’’'\n"},
		{FormatDotenv, `A='plain'` + "\n" +
			`B="it's \"q\" \$HOME \\ "` + "\n" +
			`C="l1\nl2\r"` + "\n" +
			`D=''` + "\n" +
			`E='‘curly’'` + "\n"},
		{FormatJSON, `{"A":"plain","B":"it's \"q\" $HOME \\ ","C":"l1\nl2\r","D":"","E":"‘curly’"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(string(tt.f), func(t *testing.T) {
			var buf bytes.Buffer
			if err := Write(&buf, tt.f, vars); err != nil {
				t.Fatalf("Write: %v", err)
			}
			if got := buf.String(); got != tt.want {
				t.Fatalf("Write %s:\n got %q\nwant %q", tt.f, got, tt.want)
			}
		})
	}
}

func TestWriteJSONParsesBackInOrder(t *testing.T) {
	vars := Vars(stsCreds, Options{Region: "cn-shanghai", Profile: "p<&>"})
	var buf bytes.Buffer
	if err := Write(&buf, FormatJSON, vars); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "}\n") {
		t.Fatalf("json output is not one line: %q", out)
	}
	if !strings.Contains(out, `"p<&>"`) {
		t.Errorf("json output HTML-escaped a value: %s", out)
	}
	var m map[string]string
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatalf("json output does not parse: %v", err)
	}
	if len(m) != len(vars) {
		t.Fatalf("json has %d members, want %d", len(m), len(vars))
	}
	last := -1
	for _, v := range vars {
		if m[v.Name] != v.Value {
			t.Errorf("json %s = %q, want %q", v.Name, m[v.Name], v.Value)
		}
		i := strings.Index(out, `"`+v.Name+`":`)
		if i <= last {
			t.Errorf("json member %s out of Vars order", v.Name)
		}
		last = i
	}
}

func TestWriteRejects(t *testing.T) {
	const secret = "s3cr3t\x00tail"
	tests := []struct {
		name    string
		formats []Format
		vars    []Var
		wantErr string
	}{
		{"empty name", Formats(), []Var{{"", "v"}}, `invalid variable name ""`},
		{"leading digit", Formats(), []Var{{"1A", "v"}}, "invalid variable name"},
		{"dash", Formats(), []Var{{"A-B", "v"}}, "invalid variable name"},
		{"equals", Formats(), []Var{{"A=B", "v"}}, "invalid variable name"},
		{"space", Formats(), []Var{{"A B", "v"}}, "invalid variable name"},
		{"injection", Formats(), []Var{{"A;rm", "v"}}, "invalid variable name"},
		{"unicode name", Formats(), []Var{{"Ä", "v"}}, "invalid variable name"},
		{"nul", Formats(), []Var{{"GOOD", "x"}, {"SECRET_VAR", secret}}, "variable SECRET_VAR: value contains a NUL byte"},
		{"bad utf8", []Format{FormatPowerShell, FormatDotenv, FormatJSON, FormatExternal},
			[]Var{{"ALIBABA_CLOUD_ACCESS_KEY_ID", "a\xffb"}}, "not valid UTF-8"},
		{"duplicate json", []Format{FormatJSON}, []Var{{"A", "1"}, {"A", "2"}}, "variable A given twice"},
		{"external without key", []Format{FormatExternal}, []Var{{"OTHER", "1"}}, "no ALIBABA_CLOUD_ACCESS_KEY_ID"},
		{"external bad expiry", []Format{FormatExternal}, []Var{
			{"ALIBABA_CLOUD_ACCESS_KEY_ID", "id"}, {"ALIBABA_CLOUD_ACCESS_KEY_SECRET", "s"},
			{"ALIBABA_CLOUD_SECURITY_TOKEN", "t"}, {"ALIROLE_SESSION_EXPIRATION", "tomorrow"},
		}, "parse ALIROLE_SESSION_EXPIRATION"},
		{"unknown format", []Format{"csh"}, []Var{{"A", "1"}}, `unknown format "csh" (valid: env, fish, powershell, dotenv, json, external)`},
	}
	for _, tt := range tests {
		for _, f := range tt.formats {
			t.Run(tt.name+"/"+string(f), func(t *testing.T) {
				var buf bytes.Buffer
				err := Write(&buf, f, tt.vars)
				if err == nil {
					t.Fatalf("Write succeeded with %q", buf.String())
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %q does not contain %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cr3t") {
					t.Fatalf("error leaks the value: %q", err)
				}
				if buf.Len() != 0 {
					t.Fatalf("Write left partial output %q", buf.String())
				}
			})
		}
	}
}

func TestWriteAcceptsBytesInShellFormats(t *testing.T) {
	// Environment values are byte strings; the shells take any byte but NUL.
	for _, f := range []Format{FormatEnv, FormatFish} {
		var buf bytes.Buffer
		if err := Write(&buf, f, []Var{{"A", "\xff\xfe"}}); err != nil {
			t.Errorf("Write %s with non-UTF-8 value: %v", f, err)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWritePropagatesWriterError(t *testing.T) {
	for _, f := range []Format{FormatEnv, FormatJSON, FormatExternal} {
		err := Write(failWriter{}, f, Vars(stsCreds, Options{}))
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("Write %s to a failing writer: %v", f, err)
		}
	}
	if err := WriteUnset(failWriter{}, FormatEnv, []string{"A"}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("WriteUnset to a failing writer: %v", err)
	}
}

func TestWriteUnset(t *testing.T) {
	names := []string{"A", "B_2"}
	tests := []struct {
		f       Format
		want    string
		wantErr string
	}{
		{f: FormatEnv, want: "unset A\nunset B_2\n"},
		{f: FormatFish, want: "set -e A\nset -e B_2\n"},
		{f: FormatPowerShell, want: "Remove-Item Env:A -ErrorAction SilentlyContinue\nRemove-Item Env:B_2 -ErrorAction SilentlyContinue\n"},
		{f: FormatDotenv, wantErr: "nothing to unset for format dotenv"},
		{f: FormatJSON, wantErr: "nothing to unset for format json"},
		{f: FormatExternal, wantErr: "nothing to unset for format external"},
		{f: "tcsh", wantErr: `unknown format "tcsh"`},
	}
	for _, tt := range tests {
		t.Run(string(tt.f), func(t *testing.T) {
			var buf bytes.Buffer
			err := WriteUnset(&buf, tt.f, names)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if buf.String() != tt.want {
				t.Fatalf("got %q want %q", buf.String(), tt.want)
			}
		})
	}
	var buf bytes.Buffer
	if err := WriteUnset(&buf, FormatEnv, []string{"OK", "BAD;rm -rf /"}); err == nil || buf.Len() != 0 {
		t.Fatalf("WriteUnset with a bad name: err %v, output %q", err, buf.String())
	}
}

func TestParseFormat(t *testing.T) {
	tests := map[string]Format{
		"env": FormatEnv, "ENV": FormatEnv, " bash ": FormatEnv, "zsh": FormatEnv, "sh": FormatEnv,
		"fish": FormatFish, "powershell": FormatPowerShell, "pwsh": FormatPowerShell,
		"dotenv": FormatDotenv, "json": FormatJSON, "External": FormatExternal,
	}
	for in, want := range tests {
		got, err := ParseFormat(in)
		if err != nil || got != want {
			t.Errorf("ParseFormat(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, f := range Formats() {
		if got, err := ParseFormat(string(f)); err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, got, err)
		}
	}
	_, err := ParseFormat("csh")
	if err == nil || !strings.Contains(err.Error(), "valid: env, fish, powershell, dotenv, json, external") {
		t.Errorf("ParseFormat(csh) error = %v", err)
	}
}

func TestDetectFormat(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want Format
	}{
		{map[string]string{"SHELL": "/usr/bin/fish"}, FormatFish},
		{map[string]string{"SHELL": "/opt/microsoft/powershell/7/pwsh"}, FormatPowerShell},
		{map[string]string{"SHELL": `C:\Program Files\PowerShell\7\pwsh.exe`}, FormatPowerShell},
		{map[string]string{"SHELL": "/usr/local/bin/powershell"}, FormatPowerShell},
		{map[string]string{"SHELL": "/bin/zsh"}, FormatEnv},
		{map[string]string{"SHELL": "/bin/bash", "PSModulePath": "/x"}, FormatEnv},
		{map[string]string{"SHELL": "/usr/bin/fishy"}, FormatEnv},
		{map[string]string{"PSModulePath": `C:\Modules`}, FormatPowerShell},
		{map[string]string{}, FormatEnv},
	}
	for _, tt := range tests {
		got := DetectFormat(func(k string) string { return tt.env[k] })
		if got != tt.want {
			t.Errorf("DetectFormat(%v) = %s, want %s", tt.env, got, tt.want)
		}
	}
}
