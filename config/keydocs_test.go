package config

import "testing"

// The generated reference lists config keys from KeyDocs: a key added to
// the parser without a sentence, or a sentence for no key, fails here.
func TestKeyDocsComplete(t *testing.T) {
	for _, d := range KeyDocs() {
		if d.Meaning == "" {
			t.Errorf("config key %s has no entry in keyMeaning", d.Key)
		}
	}
	known := map[string]bool{}
	for _, k := range knownKeys {
		known[k] = true
	}
	for k := range keyMeaning {
		if !known[k] {
			t.Errorf("keyMeaning describes %s, which is not a known key", k)
		}
	}
}
