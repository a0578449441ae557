package config

import (
	"bytes"
	"strconv"
	"strings"
)

// The file is read by a small line-oriented reader rather than gopkg.in/ini.v1
// because every message must point at an exact line, and ini.v1 neither keeps
// line numbers nor rejects duplicate keys and sections. The accepted syntax
// is deliberately narrow:
//   - a line whose first non-blank character is '#' or ';' is a comment;
//   - a '#' or ';' after a blank starts an inline comment, as INI users and
//     the aliyun CLI docs write them ("region_id = cn-hangzhou  # home"),
//     unless it is inside single or double quotes: URLs ("…/x#frag"),
//     commands (sh -c "a ; b") and JSON policies keep theirs;
//   - "[default]" or "[profile NAME]" opens a section (a trailing comment
//     after the ']' is allowed);
//   - "key = value", split at the first '='; blanks around both are dropped;
//   - no continuation lines, no quoting: a value is the rest of the line.

// rawKey is one "key = value" line.
type rawKey struct {
	key   string
	value string
	line  int
}

// rawSection is one valid section header and the keys under it.
type rawSection struct {
	name  string
	line  int
	keys  []rawKey
	index map[string]int // key → position in keys
}

func (s *rawSection) get(key string) (rawKey, bool) {
	i, ok := s.index[key]
	if !ok {
		return rawKey{}, false
	}
	return s.keys[i], true
}

// scanResult holds the sections of a file and the syntax errors found.
type scanResult struct {
	sections []*rawSection
	errs     []error
}

// scan splits data into sections. It never stops at an error: a bad header
// makes the lines under it be skipped (they would only add noise), anything
// else is reported and the line ignored.
func scan(file string, data []byte) scanResult {
	s := &scanner{file: file, byName: make(map[string]*rawSection), headerForm: make(map[string]string)}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	for lineNo := 1; len(data) > 0; lineNo++ {
		var raw []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			raw, data = data[:i], data[i+1:]
		} else {
			raw, data = data, nil
		}
		switch line := strings.TrimSpace(string(raw)); {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			s.header(lineNo, line)
		default:
			s.keyValue(lineNo, line)
		}
	}
	return s.res
}

// scanner is scan's state between lines.
type scanner struct {
	file   string
	res    scanResult
	byName map[string]*rawSection
	// headerForm remembers whether "default" came from [default] or
	// [profile default], to explain a clash between the two.
	headerForm map[string]string
	cur        *rawSection // the section being read; nil before the first and under a bad header
	skipping   bool        // under a bad header
}

func (s *scanner) errf(line int, profile, key, msg string) {
	s.res.errs = append(s.res.errs, &Error{File: s.file, Line: line, Profile: profile, Key: key, Msg: msg})
}

// header opens the section of a header line, unless the header is bad or
// names a profile already defined.
func (s *scanner) header(lineNo int, line string) {
	s.cur, s.skipping = nil, true
	name, form, msg := parseHeader(line)
	if msg != "" {
		s.errf(lineNo, "", "", msg)
		return
	}
	if prev, dup := s.byName[name]; dup {
		if s.headerForm[name] != form {
			s.errf(lineNo, name, "", "["+s.headerForm[name]+"] at line "+strconv.Itoa(prev.line)+
				" and ["+form+"] both define this profile; keep one")
		} else {
			s.errf(lineNo, name, "", "defined twice (first at line "+strconv.Itoa(prev.line)+"); merge the two sections")
		}
		return
	}
	s.cur = &rawSection{name: name, line: lineNo, index: make(map[string]int)}
	s.byName[name] = s.cur
	s.headerForm[name] = form
	s.res.sections = append(s.res.sections, s.cur)
	s.skipping = false
}

// keyValue adds a "key = value" line to the current section.
func (s *scanner) keyValue(lineNo int, line string) {
	eq := strings.IndexByte(line, '=')
	if eq < 0 {
		if !s.skipping {
			profile := ""
			if s.cur != nil {
				profile = s.cur.name
			}
			s.errf(lineNo, profile, "", "expected \"key = value\" or a section header, got "+quoteValue(line))
		}
		return
	}
	key := strings.TrimSpace(line[:eq])
	value := strings.TrimSpace(stripInlineComment(line[eq+1:]))
	if s.skipping {
		return
	}
	if s.cur == nil {
		s.errf(lineNo, "", key, "key outside of any section; put it under [profile NAME] or [default]")
		return
	}
	if key == "" {
		s.errf(lineNo, s.cur.name, "", "missing key name before '='")
		return
	}
	if first, dup := s.cur.index[key]; dup {
		s.errf(lineNo, s.cur.name, key, "set twice in this profile (first at line "+strconv.Itoa(s.cur.keys[first].line)+")")
		return
	}
	s.cur.index[key] = len(s.cur.keys)
	s.cur.keys = append(s.cur.keys, rawKey{key: key, value: value, line: lineNo})
}

// parseHeader reads "[default]" or "[profile NAME]" and returns the profile
// name and the header form, or a message saying what is wrong.
func parseHeader(line string) (name, form, msg string) {
	end := strings.IndexByte(line, ']')
	if end < 0 {
		return "", "", "section header " + quoteValue(line) + " is missing the closing ']'"
	}
	if rest := strings.TrimSpace(line[end+1:]); rest != "" && rest[0] != '#' && rest[0] != ';' {
		return "", "", "unexpected text " + quoteValue(rest) + " after section header"
	}
	inner := strings.TrimSpace(line[1:end])
	if inner == "default" {
		return "default", "default", ""
	}
	fields := strings.Fields(inner)
	if len(fields) > 0 && fields[0] == "profile" {
		switch len(fields) {
		case 1:
			return "", "", "section [profile] has no name; use [profile NAME]"
		case 2:
			if p := profileNameProblem(fields[1]); p != "" {
				return "", "", p
			}
			return fields[1], "profile " + fields[1], ""
		default:
			return "", "", "profile name " + quoteValue(strings.Join(fields[1:], " ")) + " must not contain blanks"
		}
	}
	hint := "use [profile NAME]"
	if profileNameProblem(inner) == "" {
		hint = "use [profile " + inner + "]"
	}
	return "", "", "unknown section [" + inner + "]; " + hint
}

// scanHeaders lists the profile names a file defines, ignoring every other
// line and error. AppendProfile uses it to decide whether a profile exists.
func scanHeaders(data []byte) map[string]bool {
	names := make(map[string]bool)
	for _, s := range scan("", data).sections {
		names[s.name] = true
	}
	return names
}

// profileNameProblem returns why name is not a valid profile name, or "".
func profileNameProblem(name string) string {
	if name == "" {
		return "profile name is empty"
	}
	if len(name) > 64 {
		return "profile name " + quoteValue(name) + " is longer than 64 characters"
	}
	for i := 0; i < len(name); i++ {
		if !isNameByte(name[i]) {
			return "profile name " + quoteValue(name) + " may only contain letters, digits and _ . @ -"
		}
	}
	return ""
}

func isNameByte(c byte) bool {
	return isWordByte(c) || c == '.' || c == '@' || c == '-'
}

// isWordByte matches regexp \w: ASCII letters, digits and underscore.
func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// sectionHeaderName is the text between the brackets for a profile.
func sectionHeaderName(name string) string {
	if name == "default" {
		return "default"
	}
	return "profile " + name
}

// stripInlineComment cuts value at the first '#' or ';' that follows a blank
// and is not inside quotes. Quotes stay part of the value: the reader has no
// quoting of its own, they only protect a marker from being a comment.
func stripInlineComment(value string) string {
	var quote byte
	for i := 0; i < len(value); i++ {
		c := value[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case (c == '#' || c == ';') && i > 0 && (value[i-1] == ' ' || value[i-1] == '\t'):
			return value[:i]
		}
	}
	return value
}
