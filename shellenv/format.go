package shellenv

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Format is an output syntax for variables.
type Format string

// The supported formats.
const (
	// FormatEnv is POSIX sh (bash, zsh, dash, ksh): export K='v'.
	FormatEnv Format = "env"
	// FormatFish is fish: set -gx K 'v'.
	FormatFish Format = "fish"
	// FormatPowerShell is PowerShell (pwsh and Windows PowerShell):
	// $Env:K = 'v'.
	FormatPowerShell Format = "powershell"
	// FormatDotenv is a .env file: K="v". See quoteDotenv for the escapes.
	FormatDotenv Format = "dotenv"
	// FormatJSON is one JSON object mapping names to values, in Vars order.
	FormatJSON Format = "json"
	// FormatExternal is the aliyun CLI "External" credential JSON; see
	// External.
	FormatExternal Format = "external"
)

// Formats returns every format, in the order help text should list them.
func Formats() []Format {
	return []Format{FormatEnv, FormatFish, FormatPowerShell, FormatDotenv, FormatJSON, FormatExternal}
}

func formatList() string {
	names := make([]string, 0, 6)
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return strings.Join(names, ", ")
}

// ParseFormat accepts a format name, case-insensitively. Shell names are
// accepted as aliases (sh, bash, zsh → env; pwsh → powershell) because users
// type the shell they run.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "env", "sh", "bash", "zsh", "posix":
		return FormatEnv, nil
	case "fish":
		return FormatFish, nil
	case "powershell", "pwsh":
		return FormatPowerShell, nil
	case "dotenv":
		return FormatDotenv, nil
	case "json":
		return FormatJSON, nil
	case "external":
		return FormatExternal, nil
	}
	return "", fmt.Errorf("unknown format %q (valid: %s)", s, formatList())
}

// DetectFormat guesses the user's shell. $SHELL wins when set, because it is
// the shell the user chose; PSModulePath alone points at PowerShell since
// Windows sets no $SHELL (and defines PSModulePath even under cmd.exe, where
// PowerShell is still the better guess than sh).
func DetectFormat(getenv func(string) string) Format {
	if shell := getenv("SHELL"); shell != "" {
		base := shell
		if i := strings.LastIndexAny(base, `/\`); i >= 0 {
			base = base[i+1:]
		}
		base = strings.TrimSuffix(strings.ToLower(base), ".exe")
		switch base {
		case "fish":
			return FormatFish
		case "pwsh", "powershell":
			return FormatPowerShell
		}
		return FormatEnv
	}
	if getenv("PSModulePath") != "" {
		return FormatPowerShell
	}
	return FormatEnv
}

// validName reports whether name is a portable variable name
// ([A-Za-z_][A-Za-z0-9_]*), the set every supported shell accepts unquoted.
func validName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c == '_', 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z':
		case '0' <= c && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// checkVar validates one variable for format f. Errors name the variable,
// never the value: values are secrets.
func checkVar(f Format, v Var) error {
	if !validName(v.Name) {
		return fmt.Errorf("invalid variable name %q", v.Name)
	}
	if strings.IndexByte(v.Value, 0) >= 0 {
		return fmt.Errorf("variable %s: value contains a NUL byte, which no environment can hold", v.Name)
	}
	switch f {
	case FormatPowerShell, FormatDotenv, FormatJSON, FormatExternal:
		// These are text formats read as UTF-8; a stray byte would be
		// replaced or rejected by the reader, silently changing the value.
		if !utf8.ValidString(v.Value) {
			return fmt.Errorf("variable %s: value is not valid UTF-8, which format %s cannot carry", v.Name, f)
		}
	}
	return nil
}

// quotePOSIX single-quotes s. Inside single quotes POSIX shells take every
// byte literally except the closing quote, so an embedded quote closes the
// string, adds an escaped quote and reopens it.
func quotePOSIX(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// quoteFish single-quotes s for fish, where \\ and \' are the only escapes
// inside single quotes and every other character (newlines included) is
// literal.
func quoteFish(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' || s[i] == '\'' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
	return b.String()
}

// psSingleQuote reports whether PowerShell treats r as a single quote: besides
// the ASCII apostrophe its tokenizer accepts the typographic ones.
func psSingleQuote(r rune) bool {
	switch r {
	case '\'', '\u2018', '\u2019', '\u201a', '\u201b':
		return true
	}
	return false
}

// quotePowerShell single-quotes s for PowerShell: no expansion happens inside
// single quotes and a quote character is written by doubling it. s must be
// valid UTF-8.
func quotePowerShell(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for _, r := range s {
		if psSingleQuote(r) {
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

// quoteDotenv quotes s for .env files so that no reader expands or runs
// anything in it, including a POSIX shell sourcing the file
// (`set -a; . ./file.env`), which is how many scripts load one.
//
// A value made only of characters that are literal inside single quotes in
// every reader (no ', no \, no control characters) is single-quoted: the sh
// family and godotenv/Docker Compose take it verbatim, without escapes or
// ${NAME} interpolation; python-dotenv too, except that with interpolation
// on (its default) it expands ${NAME} in any quoting. Credential values
// (base64 alphabet, checked by resolve), regions and profile names always
// take this form and contain no "${".
//
// Any other value is double-quoted with these escapes:
//
//	\ → \\    " → \"    $ → \$    ` → \`    newline → \n    carriage return → \r
//
// Inside double quotes a POSIX shell treats only $, `, \ and " specially,
// and each of them is escaped, so sh expands nothing (it reads \n as a
// backslash and n, not a newline). godotenv and Docker Compose read the
// value back exactly. python-dotenv keeps \$ and \` verbatim (and it
// expands ${NAME} however written), and Node's parser decodes only \n.
func quoteDotenv(s string) string {
	if dotenvSingleQuotable(s) {
		return "'" + s + "'"
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"', '$', '`':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// dotenvSingleQuotable reports whether every reader takes s literally
// between single quotes.
func dotenvSingleQuotable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\'' || c == '\\' || c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// Write prints vars in format f, one statement per line. Everything is
// validated before anything is written, so an error never leaves a partial
// script behind for an eval to run. FormatExternal rebuilds the credentials
// from the ALIBABA_CLOUD_* variables and ALIROLE_SESSION_EXPIRATION in vars.
func Write(w io.Writer, f Format, vars []Var) error {
	for _, v := range vars {
		if err := checkVar(f, v); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	switch f {
	case FormatEnv:
		for _, v := range vars {
			fmt.Fprintf(&buf, "export %s=%s\n", v.Name, quotePOSIX(v.Value))
		}
	case FormatFish:
		for _, v := range vars {
			fmt.Fprintf(&buf, "set -gx %s %s\n", v.Name, quoteFish(v.Value))
		}
	case FormatPowerShell:
		for _, v := range vars {
			fmt.Fprintf(&buf, "$Env:%s = %s\n", v.Name, quotePowerShell(v.Value))
		}
	case FormatDotenv:
		for _, v := range vars {
			fmt.Fprintf(&buf, "%s=%s\n", v.Name, quoteDotenv(v.Value))
		}
	case FormatJSON:
		if err := writeJSONObject(&buf, vars); err != nil {
			return err
		}
	case FormatExternal:
		c, err := credsFromVars(vars)
		if err != nil {
			return err
		}
		out, err := External(c)
		if err != nil {
			return err
		}
		buf.Write(out)
	default:
		return fmt.Errorf("unknown format %q (valid: %s)", string(f), formatList())
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write %s variables: %w", f, err)
	}
	return nil
}

// writeJSONObject keeps Vars order (the order matters to readers comparing
// with the env format) and so builds the object member by member; every
// string still goes through encoding/json.
func writeJSONObject(buf *bytes.Buffer, vars []Var) error {
	seen := make(map[string]bool, len(vars))
	buf.WriteByte('{')
	for i, v := range vars {
		if seen[v.Name] {
			return fmt.Errorf("variable %s given twice; a JSON object cannot hold both", v.Name)
		}
		seen[v.Name] = true
		name, err := jsonString(v.Name)
		if err != nil {
			return fmt.Errorf("encode variable name %s: %w", v.Name, err)
		}
		value, err := jsonString(v.Value)
		if err != nil {
			return fmt.Errorf("encode variable %s: %w", v.Name, err)
		}
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(name)
		buf.WriteByte(':')
		buf.WriteString(value)
	}
	buf.WriteString("}\n")
	return nil
}

// jsonString encodes s as a JSON string without HTML escaping, so values such
// as URLs stay readable.
func jsonString(s string) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}

// errNothingToUnset is wrapped with the format name by WriteUnset.
var errNothingToUnset = errors.New("nothing to unset")

// WriteUnset prints statements removing names from the shell's environment.
// File formats describe a complete set of values, so there is nothing to
// unset in them and they return an error.
func WriteUnset(w io.Writer, f Format, names []string) error {
	var line func(string) string
	switch f {
	case FormatEnv:
		line = func(n string) string { return "unset " + n + "\n" }
	case FormatFish:
		line = func(n string) string { return "set -e " + n + "\n" }
	case FormatPowerShell:
		line = func(n string) string { return "Remove-Item Env:" + n + " -ErrorAction SilentlyContinue\n" }
	case FormatDotenv, FormatJSON, FormatExternal:
		return fmt.Errorf("%w for format %s", errNothingToUnset, f)
	default:
		return fmt.Errorf("unknown format %q (valid: %s)", string(f), formatList())
	}
	for _, n := range names {
		if !validName(n) {
			return fmt.Errorf("invalid variable name %q", n)
		}
	}
	bw := bufio.NewWriter(w)
	for _, n := range names {
		// bufio keeps the first error; it is reported by Flush.
		_, _ = bw.WriteString(line(n))
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s unset lines: %w", f, err)
	}
	return nil
}
