package shellenv

import (
	"strings"
	"testing"
)

func TestServerVarsCarryNoKeys(t *testing.T) {
	vs := ServerVars("http://127.0.0.1:1/tok", Options{Region: "cn-beijing", Profile: "p"})
	got := map[string]string{}
	for _, v := range vs {
		got[v.Name] = v.Value
	}
	for name, want := range map[string]string{
		"ALIBABA_CLOUD_CREDENTIALS_URI": "http://127.0.0.1:1/tok",
		"ALICLOUD_CREDENTIALS_URI":      "http://127.0.0.1:1/tok",
		"ALIBABA_CLOUD_REGION_ID":       "cn-beijing",
		"ALICLOUD_REGION":               "cn-beijing",
		"ALIBABA_CLOUD_IGNORE_PROFILE":  "TRUE",
		"ALIROLE_PROFILE":               "p",
	} {
		if got[name] != want {
			t.Errorf("%s = %q, want %q", name, got[name], want)
		}
	}
	for name := range got {
		if strings.Contains(name, "ACCESS_KEY") || strings.Contains(name, "TOKEN") || strings.Contains(name, "SECRET") {
			t.Errorf("server mode must not set %s", name)
		}
	}
	// Every name is cleared from a parent's environment first.
	stale := map[string]bool{}
	for _, n := range StaleNames() {
		stale[n] = true
	}
	for name := range got {
		if !stale[name] {
			t.Errorf("%s is not in StaleNames, so a stale value could survive --unset/scrub", name)
		}
	}
}
