package config

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Error is one problem found in a config file. Parse and Load return all of
// them joined with errors.Join; errors.As finds the first.
type Error struct {
	File    string
	Line    int
	Profile string
	Key     string
	Msg     string
}

func (e *Error) Error() string {
	return formatLocation(e.File, e.Line, e.Profile, e.Key) + ": " + e.Msg
}

// formatLocation renders "file:line: profile "p": key", leaving out the parts
// that are unknown, so errors and warnings read the same way.
func formatLocation(file string, line int, profile, key string) string {
	var b strings.Builder
	if file == "" {
		file = "<config>"
	}
	b.WriteString(file)
	if line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(line))
	}
	if profile != "" {
		b.WriteString(": profile ")
		b.WriteString(strconv.Quote(profile))
	}
	if key != "" {
		b.WriteString(": ")
		b.WriteString(key)
	}
	return b.String()
}

// maxEchoRunes caps values quoted back in messages so one long policy line
// does not drown the error.
const maxEchoRunes = 80

// quoteValue quotes v for a message, shortened to maxEchoRunes.
func quoteValue(v string) string {
	if utf8.RuneCountInString(v) > maxEchoRunes {
		n := 0
		for i := range v {
			if n == maxEchoRunes-3 {
				v = v[:i] + "..."
				break
			}
			n++
		}
	}
	return strconv.Quote(v)
}

// ErrProfileNotFound is matched (errors.Is) by the error Profile and Chain
// return for a name the file does not define.
var ErrProfileNotFound = errors.New("profile not found")

// NotFoundError says which profile is missing, where it was looked for and
// which defined names are close to it.
type NotFoundError struct {
	Name        string
	Path        string
	Suggestions []string
}

func (e *NotFoundError) Error() string {
	var b strings.Builder
	b.WriteString("profile ")
	b.WriteString(strconv.Quote(e.Name))
	b.WriteString(" not found in ")
	if e.Path == "" {
		b.WriteString("the config file")
	} else {
		b.WriteString(e.Path)
	}
	if len(e.Suggestions) > 0 {
		b.WriteString(" (did you mean ")
		b.WriteString(quoteList(e.Suggestions))
		b.WriteString("?)")
	}
	b.WriteString("; add it with \"alirole add ")
	b.WriteString(e.Name)
	b.WriteString("\" or a [")
	b.WriteString(sectionHeaderName(e.Name))
	b.WriteString("] section")
	return b.String()
}

// Is makes errors.Is(err, ErrProfileNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrProfileNotFound }

// quoteList renders `"a"`, `"a" or "b"`, `"a", "b" or "c"`.
func quoteList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = strconv.Quote(s)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}
