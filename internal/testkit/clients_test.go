package testkit

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeT records how a helper ended the test; Fatalf and Skipf stop the
// helper by panicking, as the real ones stop the goroutine.
type fakeT struct {
	testing.TB
	name              string
	failed, skipped   bool
	cleanups          []func()
	fatalMsg, skipMsg string
}

type stopped struct{}

func (f *fakeT) Helper()               {}
func (f *fakeT) Name() string          { return f.name }
func (f *fakeT) Log(...any)            {}
func (f *fakeT) Errorf(string, ...any) { f.failed = true }
func (f *fakeT) Failed() bool          { return f.failed }
func (f *fakeT) Skipped() bool         { return f.skipped }
func (f *fakeT) Cleanup(fn func())     { f.cleanups = append(f.cleanups, fn) }
func (f *fakeT) Fatalf(format string, args ...any) {
	f.failed, f.fatalMsg = true, format
	panic(stopped{})
}
func (f *fakeT) Skipf(format string, args ...any) {
	f.skipped, f.skipMsg = true, format
	panic(stopped{})
}

// run calls fn as a test body and then the cleanups, like testing does.
func (f *fakeT) run(fn func(t testing.TB)) {
	func() {
		defer func() {
			if v := recover(); v != nil {
				if _, ok := v.(stopped); !ok {
					panic(v)
				}
			}
		}()
		fn(f)
	}()
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func TestMissingAndUses(t *testing.T) {
	log := filepath.Join(t.TempDir(), "clients.log")
	t.Setenv(LogEnv, log)
	body := func(t testing.TB) {
		Uses(t, "other")
		Missing(t, "gadget", "gadget not installed")
	}
	cases := []struct {
		name, require, allow string
		failed, skipped      bool
		line                 string
	}{
		{"not required", "", "", false, true, "CLIENT gadget skipped missing: gadget not installed (not required)"},
		{"required", "1", "", true, false, "CLIENT gadget skipped missing: gadget not installed (required)"},
		{"required but allowed", "1", "x,gadget", false, true, "CLIENT gadget skipped allowed: gadget not installed (ALIROLE_ALLOW_MISSING) (required but allowed)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(RequireEnv, c.require)
			t.Setenv(AllowMissingEnv, c.allow)
			os.Remove(log)
			f := &fakeT{name: c.name}
			f.run(body)
			if f.failed != c.failed || f.skipped != c.skipped {
				t.Errorf("failed, skipped = %v, %v; want %v, %v", f.failed, f.skipped, c.failed, c.skipped)
			}
			data, _ := os.ReadFile(log)
			lines := strings.Split(strings.TrimSpace(string(data)), "\n")
			if lines[0] != c.line {
				t.Errorf("log line %q, want %q", lines[0], c.line)
			}
			// The client used before the missing one is logged only when
			// the test did not skip.
			wantOther := ""
			if c.failed {
				wantOther = "CLIENT other failed (" + c.name + ")"
			}
			if gotOther := strings.Join(lines[1:], "\n"); gotOther != wantOther {
				t.Errorf("other client logged %q, want %q", gotOther, wantOther)
			}
		})
	}
}

func TestUsesRan(t *testing.T) {
	log := filepath.Join(t.TempDir(), "clients.log")
	t.Setenv(LogEnv, log)
	f := &fakeT{name: "TestX"}
	f.run(func(t testing.TB) { Uses(t, "gadget") })
	if data, _ := os.ReadFile(log); string(data) != "CLIENT gadget ran (TestX)\n" {
		t.Errorf("log = %q", data)
	}
	os.Remove(log)
	f = &fakeT{name: "TestY"}
	f.run(func(t testing.TB) { Unsupported(t, "gadget", "not packaged") })
	if data, _ := os.ReadFile(log); !f.skipped || string(data) != "CLIENT gadget skipped unsupported: not packaged (TestY)\n" {
		t.Errorf("skipped %v, log = %q", f.skipped, data)
	}
}
