package stsemu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// StandaloneConfig configures RunStandalone.
type StandaloneConfig struct {
	WorldPath     string // "" = DemoSSOWorld()
	Listen        string // TLS address; default 127.0.0.1:0
	CAPath        string // where the CA certificate is written (required)
	HTTPListen    string // optional plain-HTTP address
	TokenLifetime time.Duration
	// Latency delays every answer; Faults are injected in order at start.
	Latency time.Duration
	Faults  []Fault
	// SSO tunes the CloudSSO portal (worlds with cloudSso).
	SSO SSOOptions
}

// RunStandalone serves the emulator until ctx is cancelled. It prints one
// line per listener and then "ready" to stdout; request logs go to stderr.
func RunStandalone(ctx context.Context, cfg StandaloneConfig, stdout, stderr io.Writer) error {
	if cfg.CAPath == "" {
		return errors.New("sts emulator: a ca path is required")
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	world := DemoSSOWorld()
	if cfg.WorldPath != "" {
		w, err := LoadWorld(cfg.WorldPath)
		if err != nil {
			return fmt.Errorf("sts emulator: %w", err)
		}
		world = w
	}
	srv, err := New(world, Options{Log: stderr, TokenLifetime: cfg.TokenLifetime, SSO: cfg.SSO})
	if err != nil {
		return fmt.Errorf("sts emulator: %w", err)
	}
	defer srv.Close()
	if cfg.Latency > 0 {
		srv.Inject(Fault{Latency: cfg.Latency})
	}
	for _, f := range cfg.Faults {
		srv.Inject(f)
	}
	if err := srv.StartTLS(cfg.Listen, cfg.CAPath); err != nil {
		return fmt.Errorf("sts emulator: %w", err)
	}
	if _, err := fmt.Fprintf(stdout, "sts-emulator listening on https://%s ca=%s\n", srv.Endpoint(), cfg.CAPath); err != nil {
		return fmt.Errorf("sts emulator: write status: %w", err)
	}
	if world.CloudSSO != nil {
		if _, err := fmt.Fprintf(stdout, "sts-emulator cloudsso sign-in url https://%s/start/login (approve: POST %s?user_code=...)\n", srv.Endpoint(), SSOApprovePath); err != nil {
			return fmt.Errorf("sts emulator: write status: %w", err)
		}
	}
	if world.OAuth != nil {
		if _, err := fmt.Fprintf(stdout, "sts-emulator oauth ALIROLE_OAUTH_SIGNIN_URL=https://%[1]s ALIROLE_OAUTH_URL=https://%[1]s\n", srv.Endpoint()); err != nil {
			return fmt.Errorf("sts emulator: write status: %w", err)
		}
	}
	if cfg.HTTPListen != "" {
		if err := srv.StartHTTP(cfg.HTTPListen); err != nil {
			return fmt.Errorf("sts emulator: %w", err)
		}
		if _, err := fmt.Fprintf(stdout, "sts-emulator listening on http://%s\n", srv.HTTPEndpoint()); err != nil {
			return fmt.Errorf("sts emulator: write status: %w", err)
		}
	}
	if _, err := fmt.Fprintln(stdout, "ready"); err != nil {
		return fmt.Errorf("sts emulator: write status: %w", err)
	}
	<-ctx.Done()
	if err := srv.Close(); err != nil {
		return fmt.Errorf("sts emulator: %w", err)
	}
	return nil
}
