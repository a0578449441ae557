package commands

import "testing"

// TestSetupCLICarriesEveryGlobalFlag: the process_command setup-cli writes
// runs 'alirole export' from the aliyun CLI's environment, not the one
// setup-cli ran in, so every global option that changes what export does
// must be carried. A new global flag fails here until it is carried or
// listed as one export does not need.
func TestSetupCLICarriesEveryGlobalFlag(t *testing.T) {
	notForExport := map[string]string{
		"debug": "a log on stderr, not needed by the aliyun CLI",
	}
	carried := map[string]bool{}
	for _, o := range carriedOptions {
		carried[o.name] = true
	}
	for _, f := range GlobalFlags() {
		name := f.Names()[0]
		if !carried[name] && notForExport[name] == "" {
			t.Errorf("global flag --%s is neither carried into setup-cli's process_command nor listed as not needed", name)
		}
	}
}
