package aliyuncli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/alirole/alirole/internal/atomicfile"
)

// ErrNoRegion is returned by SetExternal when the profile would end up
// without region_id: the aliyun CLI refuses such a profile.
var ErrNoRegion = errors.New("aliyun CLI profile needs a region_id")

// ErrChanged is returned by Save when the file on disk no longer holds what
// Load read, so saving would discard someone else's edit.
var ErrChanged = errors.New("aliyun CLI config changed since it was read; run the command again")

// maxConfigSize bounds reads: the real file is a few KiB, and the bound keeps
// a wrong path (a device, a huge file) from exhausting memory.
const maxConfigSize = 8 << 20

// secretKeys are the profile fields that hold credentials or tokens in plain
// text. SetExternal removes them because External mode does not read them.
var secretKeys = []string{
	"access_key_id", "access_key_secret", "sts_token", "sts_expiration",
	"access_token", "cloud_sso_access_token_expire",
	"oauth_access_token", "oauth_refresh_token",
	"oauth_access_token_expire", "oauth_refresh_token_expire",
	"bearer_token", "oidc_token",
}

type member struct {
	key   string
	value json.RawMessage
}

// span is a byte range [start, end) of the loaded document; start < 0 means
// the item was added after loading.
type span struct{ start, end int }

type topMember struct {
	member
	at     span
	edited bool
}

type entry struct {
	prof    Profile
	members []member        // current content, in key order
	raw     json.RawMessage // bytes as loaded; nil for an added profile
	at      span
	edited  bool
}

// File is a loaded aliyun CLI config.json. It keeps the loaded bytes and the
// position of every top-level value and profile, so Save can rewrite only the
// parts that were edited.
type File struct {
	data     []byte // as loaded; nil when there was no file
	exists   bool
	top      []*topMember
	profiles int  // index in top of the "profiles" member in effect; -1 if none
	arr      span // the profiles array, when arrOK
	arrOK    bool
	entries  []*entry
}

// Load reads the config at path. A missing file yields an empty File that
// Save will create.
func Load(path string) (*File, error) {
	data, err := readBounded(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &File{profiles: -1}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read aliyun CLI config %s: %w", path, err)
	}
	f, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("parse aliyun CLI config %s: %w", path, err)
	}
	return f, nil
}

func readBounded(path string) ([]byte, error) {
	// Stat first: opening a FIFO for reading would block.
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, errors.New("not a regular file")
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, maxConfigSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxConfigSize {
		return nil, errors.New("file is larger than 8 MiB")
	}
	return data, nil
}

func parse(data []byte) (*File, error) {
	f := &File{data: data, exists: true, profiles: -1}
	// An empty file breaks the aliyun CLI; treat it as an empty document so
	// setup-cli can repair it.
	if len(bytes.TrimSpace(data)) == 0 {
		return f, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := expectDelim(dec, '{'); err != nil {
		return nil, fmt.Errorf("top level: %w", err)
	}
	for dec.More() {
		key, raw, err := nextMember(dec)
		if err != nil {
			return nil, fmt.Errorf("top level: %w", err)
		}
		end := int(dec.InputOffset())
		f.top = append(f.top, &topMember{member: member{key, raw}, at: span{end - len(raw), end}})
		// encoding/json keeps the last of duplicate keys and matches names
		// ignoring case; so do the CLI and credentials-go.
		if strings.EqualFold(key, "profiles") {
			f.profiles = len(f.top) - 1
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, fmt.Errorf("top level: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the top-level object")
	}
	if f.profiles >= 0 {
		if err := f.parseProfiles(); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (f *File) parseProfiles() error {
	pm := f.top[f.profiles]
	if string(pm.value) == "null" {
		return nil
	}
	if pm.value[0] != '[' {
		return errors.New(`"profiles" is not an array`)
	}
	dec := json.NewDecoder(bytes.NewReader(pm.value))
	if err := expectDelim(dec, '['); err != nil {
		return fmt.Errorf("profiles: %w", err)
	}
	for i := 0; dec.More(); i++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("profile #%d: %w", i+1, err)
		}
		end := pm.at.start + int(dec.InputOffset())
		ms, err := objectMembers(raw)
		if err != nil {
			return fmt.Errorf("profile #%d: %w", i+1, err)
		}
		e := &entry{members: ms, raw: raw, at: span{end - len(raw), end}}
		if err := json.Unmarshal(raw, &e.prof); err != nil {
			return fmt.Errorf("profile #%d: %w", i+1, err)
		}
		f.entries = append(f.entries, e)
	}
	if err := expectDelim(dec, ']'); err != nil {
		return fmt.Errorf("profiles: %w", err)
	}
	f.arr, f.arrOK = pm.at, true
	return nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("expected %q", string(want))
	}
	return nil
}

// nextMember reads one "key": value pair of the object dec is inside.
func nextMember(dec *json.Decoder) (string, json.RawMessage, error) {
	tok, err := dec.Token()
	if err != nil {
		return "", nil, err
	}
	key, ok := tok.(string)
	if !ok {
		return "", nil, errors.New("expected an object key")
	}
	var raw json.RawMessage
	if err := dec.Decode(&raw); err != nil {
		return "", nil, fmt.Errorf("value of %q: %w", key, err)
	}
	return key, raw, nil
}

func objectMembers(raw json.RawMessage) ([]member, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := expectDelim(dec, '{'); err != nil {
		return nil, errors.New("not a JSON object")
	}
	var ms []member
	for dec.More() {
		key, val, err := nextMember(dec)
		if err != nil {
			return nil, err
		}
		ms = append(ms, member{key, val})
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	return ms, nil
}

// Profiles returns every profile in file order.
func (f *File) Profiles() []Profile {
	out := make([]Profile, len(f.entries))
	for i, e := range f.entries {
		out[i] = e.prof
	}
	return out
}

// Profile returns the first profile called name, as the aliyun CLI and
// credentials-go both do when names repeat.
func (f *File) Profile(name string) (Profile, bool) {
	if e := f.find(name); e != nil {
		return e.prof, true
	}
	return Profile{}, false
}

// Current returns the "current" profile name, or "" when unset.
func (f *File) Current() string {
	tm := f.topMember("current")
	if tm == nil {
		return ""
	}
	var s string
	if json.Unmarshal(tm.value, &s) != nil {
		return ""
	}
	return s
}

func (f *File) find(name string) *entry {
	for _, e := range f.entries {
		if e.prof.Name == name {
			return e
		}
	}
	return nil
}

func (f *File) topMember(key string) *topMember {
	var found *topMember
	for _, tm := range f.top {
		if strings.EqualFold(tm.key, key) {
			found = tm // last wins, as in encoding/json
		}
	}
	return found
}

// SetExternal makes profile name an External profile running
// processCommand, creating it when missing (created reports which). An
// existing profile keeps its other fields and key order, except that the
// plaintext credential fields (secretKeys) are removed. regionID replaces
// region_id when not empty; a new profile needs one (ErrNoRegion). When the
// document has no current profile, the new profile becomes current so the
// aliyun CLI has a default.
func (f *File) SetExternal(name, processCommand, regionID string) (created bool, err error) {
	if name == "" {
		return false, errors.New("aliyun CLI profile name is empty")
	}
	if strings.TrimSpace(processCommand) == "" {
		return false, errors.New("process_command is empty")
	}
	e := f.find(name)
	if e == nil {
		if regionID == "" {
			return false, fmt.Errorf("new profile %q: %w", name, ErrNoRegion)
		}
		e = &entry{at: span{-1, -1}, members: []member{
			{"name", jsonString(name)},
			{"mode", jsonString("External")},
			{"region_id", jsonString(regionID)},
			{"process_command", jsonString(processCommand)},
		}}
		created = true
	} else if regionID == "" && e.prof.RegionID == "" {
		return false, fmt.Errorf("profile %q: %w", name, ErrNoRegion)
	}

	ms := append([]member(nil), e.members...)
	for _, k := range secretKeys {
		ms = deleteKey(ms, k)
	}
	ms = setKey(ms, "mode", jsonString("External"))
	ms = setKey(ms, "process_command", jsonString(processCommand))
	if regionID != "" {
		ms = setKey(ms, "region_id", jsonString(regionID))
	}
	if !created && bytes.Equal(compactObject(ms), compactObject(e.members)) {
		return false, nil // already set up: leave the file alone
	}
	var p Profile
	if err := json.Unmarshal(compactObject(ms), &p); err != nil {
		return false, fmt.Errorf("profile %q: %w", name, err)
	}
	e.members, e.prof, e.edited = ms, p, true
	if created {
		f.entries = append(f.entries, e)
		f.setCurrentIfEmpty(name)
	}
	return created, nil
}

func (f *File) setCurrentIfEmpty(name string) {
	tm := f.topMember("current")
	if tm == nil {
		f.top = append(f.top, &topMember{member: member{"current", jsonString(name)}, at: span{-1, -1}, edited: true})
		return
	}
	if s := string(tm.value); s == `""` || s == "null" {
		tm.value, tm.edited = jsonString(name), true
	}
}

// deleteKey and setKey match keys ignoring case, as encoding/json does when
// the aliyun CLI reads the file.
func deleteKey(ms []member, key string) []member {
	out := ms[:0]
	for _, m := range ms {
		if !strings.EqualFold(m.key, key) {
			out = append(out, m)
		}
	}
	return out
}

// setKey replaces the first occurrence of key (dropping duplicates, which
// would otherwise override it) or appends it.
func setKey(ms []member, key string, val json.RawMessage) []member {
	out := make([]member, 0, len(ms)+1)
	done := false
	for _, m := range ms {
		if !strings.EqualFold(m.key, key) {
			out = append(out, m)
			continue
		}
		if !done {
			out = append(out, member{key, val})
			done = true
		}
	}
	if !done {
		out = append(out, member{key, val})
	}
	return out
}

// jsonString encodes s without HTML escaping, so paths with & < > stay
// readable in the file.
func jsonString(s string) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return bytes.TrimRight(b.Bytes(), "\n")
}

func compactObject(ms []member) []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(jsonString(m.key))
		b.WriteByte(':')
		b.Write(compact(m.value))
	}
	b.WriteByte('}')
	return b.Bytes()
}

func compact(raw []byte) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw // raw came from the decoder, so this cannot happen
	}
	return b.Bytes()
}

// Modified reports whether Save would write anything new; SetExternal with
// values a profile already has does not modify the file.
func (f *File) Modified() bool { return f.dirty() }

func (f *File) dirty() bool {
	for _, tm := range f.top {
		if tm.edited {
			return true
		}
	}
	for _, e := range f.entries {
		if e.edited {
			return true
		}
	}
	return false
}

// render produces the bytes Save writes.
func (f *File) render() []byte {
	if !f.dirty() && f.exists && len(bytes.TrimSpace(f.data)) > 0 {
		return f.data
	}
	if f.canSplice() {
		return f.splice()
	}
	return f.rebuild()
}

func (f *File) canSplice() bool {
	if !f.exists || f.profiles < 0 || len(bytes.TrimSpace(f.data)) == 0 {
		return false
	}
	for _, tm := range f.top {
		if tm.at.start < 0 {
			return false
		}
	}
	return true
}

type edit struct {
	at   span
	text []byte
}

// splice rewrites only the edited values inside the loaded bytes, copying
// the rest, including its whitespace, unchanged.
func (f *File) splice() []byte {
	multiline, unit := layout(f.data)
	var edits []edit
	for _, tm := range f.top {
		if tm.edited {
			edits = append(edits, edit{tm.at, compact(tm.value)})
		}
	}
	var orig []*entry
	for _, e := range f.entries {
		if e.raw != nil {
			orig = append(orig, e)
		}
	}
	if len(orig) == 0 {
		// Empty or null array: nothing to keep inside it, so write it whole,
		// indented as a value of a top-level key.
		pm := f.top[f.profiles]
		arr := []byte("[]")
		if len(f.entries) > 0 {
			var b bytes.Buffer
			b.WriteByte('[')
			for i, e := range f.entries {
				if i > 0 {
					b.WriteByte(',')
				}
				b.Write(compactObject(e.members))
			}
			b.WriteByte(']')
			arr = indent(b.Bytes(), multiline, unit, unit)
		}
		edits = append(edits, edit{pm.at, arr})
		return applyEdits(f.data, edits)
	}
	for _, e := range orig {
		if e.edited {
			ml := bytes.IndexByte(e.raw, '\n') >= 0
			edits = append(edits, edit{e.at, indent(compactObject(e.members), ml, f.linePrefix(e.at.start), unit)})
		}
	}
	last := orig[len(orig)-1]
	var sep []byte
	if len(orig) >= 2 {
		sep = f.data[orig[len(orig)-2].at.end:last.at.start]
	} else {
		sep = append([]byte{','}, f.data[f.arr.start+1:orig[0].at.start]...)
	}
	lastML := bytes.IndexByte(last.raw, '\n') >= 0
	prefix := f.linePrefix(last.at.start)
	var added bytes.Buffer
	for _, e := range f.entries {
		if e.raw == nil {
			added.Write(sep)
			added.Write(indent(compactObject(e.members), lastML, prefix, unit))
		}
	}
	if added.Len() > 0 {
		edits = append(edits, edit{span{last.at.end, last.at.end}, added.Bytes()})
	}
	return applyEdits(f.data, edits)
}

func applyEdits(data []byte, edits []edit) []byte {
	// Edits come from disjoint values collected top-level first; order them
	// by position. An insertion at a value's end sorts after that value.
	for i := 1; i < len(edits); i++ {
		for j := i; j > 0 && edits[j].at.start < edits[j-1].at.start; j-- {
			edits[j], edits[j-1] = edits[j-1], edits[j]
		}
	}
	var b bytes.Buffer
	pos := 0
	for _, ed := range edits {
		b.Write(data[pos:ed.at.start])
		b.Write(ed.text)
		pos = ed.at.end
	}
	b.Write(data[pos:])
	return b.Bytes()
}

// rebuild writes the whole document from the parsed members, for the cases
// splicing cannot express (new file, no "profiles" key). Values keep their
// content; whitespace follows the aliyun CLI's own style (tab indent).
func (f *File) rebuild() []byte {
	top := append([]*topMember(nil), f.top...)
	fresh := len(top) == 0 || (len(top) == 1 && top[0].key == "current" && top[0].at.start < 0)
	var arr bytes.Buffer
	arr.WriteByte('[')
	for i, e := range f.entries {
		if i > 0 {
			arr.WriteByte(',')
		}
		arr.Write(compactObject(e.members))
	}
	arr.WriteByte(']')
	if f.profiles >= 0 {
		top[f.profiles] = &topMember{member: member{"profiles", arr.Bytes()}}
	} else {
		top = append(top, &topMember{member: member{"profiles", arr.Bytes()}})
	}
	if fresh {
		if f.topMember("current") == nil {
			top = append([]*topMember{{member: member{"current", jsonString("")}}}, top...)
		}
		top = append(top, &topMember{member: member{"meta_path", jsonString("")}})
	}
	ms := make([]member, len(top))
	for i, tm := range top {
		ms[i] = tm.member
	}
	multiline, unit := true, "\t"
	if len(bytes.TrimSpace(f.data)) > 0 {
		multiline, unit = layout(f.data)
	}
	out := indent(compactObject(ms), multiline, "", unit)
	return append(out, '\n')
}

func indent(compactJSON []byte, multiline bool, prefix, unit string) []byte {
	if !multiline {
		return compactJSON
	}
	var b bytes.Buffer
	if err := json.Indent(&b, compactJSON, prefix, unit); err != nil {
		return compactJSON // built from valid JSON, so this cannot happen
	}
	return b.Bytes()
}

// layout reports whether the document is spread over lines and the
// indentation of its first member line (one nesting level).
func layout(data []byte) (multiline bool, unit string) {
	i := bytes.IndexByte(data, '{')
	if i < 0 {
		return true, "\t"
	}
	nl := bytes.IndexByte(data[i:], '\n')
	if nl < 0 {
		return false, ""
	}
	rest := data[i+nl+1:]
	n := 0
	for n < len(rest) && (rest[n] == ' ' || rest[n] == '\t') {
		n++
	}
	return true, string(rest[:n])
}

// linePrefix is the indentation of the line where the value at pos begins,
// so a rewritten object closes at the same column as the original did.
func (f *File) linePrefix(pos int) string {
	start := bytes.LastIndexByte(f.data[:pos], '\n') + 1
	end := start
	for end < pos && (f.data[end] == ' ' || f.data[end] == '\t') {
		end++
	}
	return string(f.data[start:end])
}

// BackupSuffix names the one backup Save keeps: path + BackupSuffix.
const BackupSuffix = ".alirole-backup"

// Lock takes the cross-process lock for editing the config at path; hold it
// from Load to Save so that concurrent alirole processes never lose each
// other's edits.
func Lock(ctx context.Context, path string) (unlock func(), err error) {
	return atomicfile.Lock(ctx, path)
}

// Save writes the document to path crash-safely (see package atomicfile),
// mode 0600, creating the directory with 0700 when missing. A symlinked path
// is written through to its target. The first time Save replaces an
// existing file, its bytes are kept in path + BackupSuffix (0600); later
// saves keep that backup of the user's original file and make no other, so
// plaintext secrets are not multiplied. The backup's name is returned
// whenever it exists, so callers can say where it is (it may hold secrets).
// If the file changed since Load, nothing is written and the error is
// ErrChanged. Callers hold Lock.
func (f *File) Save(path string) (backup string, err error) {
	out := f.render()
	dir := filepath.Dir(path)
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return "", fmt.Errorf("create %s: %w", dir, err)
		}
	}
	target, err := atomicfile.Target(path)
	if err != nil {
		return "", err
	}
	cur, err := readBounded(target)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if f.exists {
			return "", ErrChanged
		}
	case err != nil:
		return "", fmt.Errorf("read %s: %w", target, err)
	case !f.exists || !bytes.Equal(cur, f.data):
		return "", ErrChanged
	default:
		if backup, err = keepBackup(path, cur); err != nil {
			return "", err
		}
	}
	if backup == "" {
		if _, err := os.Lstat(path + BackupSuffix); err == nil {
			backup = path + BackupSuffix
		}
	}
	if err := atomicfile.WriteFile(target, out, 0o600); err != nil {
		return backup, err
	}
	nf, err := parse(out)
	if err != nil {
		return backup, fmt.Errorf("reparse written config: %w", err)
	}
	*f = *nf
	return backup, nil
}

// keepBackup writes data to path + BackupSuffix unless that backup exists.
func keepBackup(path string, data []byte) (string, error) {
	name := path + BackupSuffix
	switch _, err := os.Lstat(name); {
	case err == nil:
		return name, nil
	case !errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("backup %s: %w", name, err)
	}
	// Under the caller's Lock, a temporary backup is a killed run's.
	atomicfile.CleanTemps(name)
	if err := atomicfile.WriteFile(name, data, 0o600); err != nil {
		return "", fmt.Errorf("write backup: %w", err)
	}
	return name, nil
}
