package nolaunch

import "testing"

func TestMayOpenBus(t *testing.T) {
	cases := []struct {
		env  string
		args []string
		want bool
	}{
		{"", nil, true},
		{"", []string{"export", "prod"}, true},
		{"file", []string{"export", "prod"}, false},
		{"pass", nil, false},
		{"keyctl", nil, false},
		{"secret-service", nil, true},
		{"kwallet", nil, true},
		{"", []string{"--backend", "file", "export", "prod"}, false},
		{"", []string{"--backend=pass", "list"}, false},
		{"", []string{"-backend", "keyctl", "list"}, false},
		{"", []string{"--debug", "--backend", "file", "list"}, false},
		{"", []string{"--backend", "secret-service", "list"}, true},
		// the flag wins over the environment, as in the CLI
		{"file", []string{"--backend", "secret-service", "list"}, true},
		{"secret-service", []string{"--backend=file", "list"}, false},
		// after the command, or after another flag's value: not read
		{"", []string{"exec", "prod", "--", "tool", "--backend", "file"}, true},
		{"", []string{"export", "--backend", "file", "prod"}, true},
		{"", []string{"--file-dir", "/k", "--backend", "file", "list"}, true},
		{"", []string{"--backend"}, true},
	}
	for _, c := range cases {
		getenv := func(k string) string {
			if k == "ALIROLE_BACKEND" {
				return c.env
			}
			return ""
		}
		if got := mayOpenBus(getenv, c.args); got != c.want {
			t.Errorf("ALIROLE_BACKEND=%q %q: mayOpenBus = %v, want %v", c.env, c.args, got, c.want)
		}
	}
}
