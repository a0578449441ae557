package aliyuncli

import "bytes"

// Fields returns the keys profile name sets in the file, in file order,
// leaving out "name" and empty values ("", 0, false, null, {} and []), so
// that import can say which of them it did not carry over.
func (f *File) Fields(name string) []string {
	e := f.find(name)
	if e == nil {
		return nil
	}
	var keys []string
	for _, m := range e.members {
		v := bytes.TrimSpace(m.value)
		switch string(v) {
		case `""`, "0", "false", "null", "{}", "[]":
			continue
		}
		if m.key != "name" {
			keys = append(keys, m.key)
		}
	}
	return keys
}

// SecretFields returns the fields of profile name that hold a credential in
// plain text (the ones SetExternal removes, and an RsaKeyPair private_key).
func (f *File) SecretFields(name string) []string {
	secret := map[string]bool{"private_key": true}
	for _, k := range secretKeys {
		secret[k] = true
	}
	var out []string
	for _, k := range f.Fields(name) {
		if secret[k] {
			out = append(out, k)
		}
	}
	return out
}
