package main

import (
	"testing"

	"github.com/alirole/alirole/config"
)

// BenchmarkParseLarge parses the bench's 5,000-profile config in-process
// (go test -bench Parse -benchmem ./bench); the table's rows 4a-4c pay
// this once per run.
func BenchmarkParseLarge(b *testing.B) {
	data := []byte(largeConfig(largeProfileCount))
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		cfg, err := config.ParseWithOptions("/bench/config", data, config.Options{Home: "/bench"})
		if err != nil {
			b.Fatal(err)
		}
		if n := len(cfg.Names()); n != largeProfileCount+maxHops+1 {
			b.Fatalf("%d profiles", n)
		}
	}
}

// TestLargeConfigParses keeps the generated config valid, so that the
// bench measures parsing rather than error reporting.
func TestLargeConfigParses(t *testing.T) {
	cfg, err := config.Parse("/bench/config", []byte(largeConfig(200)))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 0 {
		t.Fatalf("warnings: %v", cfg.Warnings)
	}
	chain, err := cfg.Chain("team007-env24")
	if err != nil || len(chain) != 3 {
		t.Fatalf("chain of team007-env24 = %d profiles, %v; want 3", len(chain), err)
	}
}
