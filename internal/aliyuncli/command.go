package aliyuncli

import (
	"errors"
	"runtime"
	"strings"
	"unicode"
)

// ProcessCommand returns the process_command that makes the aliyun CLI (and
// credentials-go) fetch credentials for alirole profile from alirolePath.
//
// Arguments are quoted only when needed. Unquoted arguments split the same
// way under every parser: the aliyun CLI before 3.4.9 split on whitespace
// alone (strings.Fields), while 3.4.9+ and credentials-go v1.4.14 split
// shell-like, honouring quotes. A path containing whitespace therefore works
// only with those newer parsers; no quoting can make the old CLI accept it,
// so callers may want to warn when alirolePath contains a space.
func ProcessCommand(alirolePath, profile string) string {
	return ProcessCommandWith(alirolePath, nil, profile)
}

// ProcessCommandWith is ProcessCommand with alirole's global options
// (such as "--config=/path") placed before the export command, quoted the
// same way.
func ProcessCommandWith(alirolePath string, globalArgs []string, profile string) string {
	args := append([]string{alirolePath}, globalArgs...)
	return joinCommand(runtime.GOOS, append(args, "export", "--format", "external", profile))
}

// QuoteArg quotes s, when needed, for the platform's shell and for the
// quote-aware process_command parsers.
func QuoteArg(s string) string { return quoteArg(runtime.GOOS, s) }

// SplitCommand splits a process_command as the quote-aware parsers of the
// aliyun CLI (3.4.9+) and credentials-go v1.4.14 do.
func SplitCommand(s string) ([]string, error) { return splitCommand(runtime.GOOS, s) }

func joinCommand(goos string, args []string) string {
	quoted := make([]string, len(args))
	for i, a := range args {
		quoted[i] = quoteArg(goos, a)
	}
	return strings.Join(quoted, " ")
}

func quoteArg(goos, s string) string {
	if s != "" && !needsQuote(goos, s) {
		return s
	}
	if goos == "windows" {
		// Inside double quotes the Windows rules treat only \" as an
		// escape, so backslashes stay as they are, except trailing ones,
		// which would escape the closing quote: they go after it, where an
		// unquoted backslash is literal and continues the same argument.
		body := strings.TrimRight(s, `\`)
		return `"` + strings.ReplaceAll(body, `"`, `\"`) + `"` + s[len(body):]
	}
	// Single quotes make everything literal; a single quote itself is
	// closed, backslash-escaped and reopened.
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func needsQuote(goos, s string) bool {
	for _, r := range s {
		if unicode.IsSpace(r) || r == '"' || r == '\'' || (r == '\\' && goos != "windows") {
			return true
		}
	}
	return false
}

// splitCommand splits a process_command the way the quote-aware parsers of
// the aliyun CLI and credentials-go do (POSIX-like on Unix; on Windows a
// backslash is literal except before a quote inside double quotes). It is
// used to recognise commands that already run alirole.
func splitCommand(goos, s string) ([]string, error) {
	windows := goos == "windows"
	var (
		args  []string
		cur   strings.Builder
		inTok bool
		quote rune // 0, '\'' or '"'
	)
	rs := []rune(strings.TrimSpace(s))
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote == '\'':
			if r == '\'' {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case quote == '"':
			switch {
			case r == '"':
				quote = 0
			case r == '\\' && i+1 < len(rs) && escapableInDouble(windows, rs[i+1]):
				i++
				if rs[i] != '\n' {
					cur.WriteRune(rs[i])
				}
			default:
				cur.WriteRune(r)
			}
		case r == '\\' && !windows:
			if i+1 == len(rs) {
				return nil, errors.New("process_command ends with a backslash")
			}
			i++
			if rs[i] != '\n' {
				cur.WriteRune(rs[i])
				inTok = true
			}
		case r == '\'' || r == '"':
			quote, inTok = r, true
		case unicode.IsSpace(r):
			if inTok {
				args = append(args, cur.String())
				cur.Reset()
				inTok = false
			}
		default:
			cur.WriteRune(r)
			inTok = true
		}
	}
	if quote != 0 {
		return nil, errors.New("process_command has an unclosed quote")
	}
	if inTok {
		args = append(args, cur.String())
	}
	if len(args) == 0 || args[0] == "" {
		return nil, errors.New("process_command is empty")
	}
	return args, nil
}

func escapableInDouble(windows bool, next rune) bool {
	if windows {
		return next == '"'
	}
	return next == '"' || next == '\\' || next == '$' || next == '`' || next == '\n'
}
