package commands

import (
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/internal/stsemu"
)

// Dev groups developer tools; today the local STS emulator.
func Dev(e Env) *cli.Command {
	return &cli.Command{
		Name:  "dev",
		Usage: "developer tools (local STS emulator for offline demos and tests)",
		Subcommands: []*cli.Command{{
			Name:  "sts-emulator",
			Usage: "serve a local STS (plus RAM AccessKey actions, console sign-in, a CloudSSO portal and OAuth) that verifies signatures like the real one",
			Description: "Serves AssumeRole and GetCallerIdentity on 127.0.0.1 over TLS with a CA it generates\n" +
				"(written to --ca-file; point SSL_CERT_FILE at it) and optionally over plain HTTP. Without\n" +
				"--config it loads a demo world (user 'demo', roles demo-admin -> demo-prod -> demo-audit, and a\n" +
				"CloudSSO user assigned access configuration ac-demoadmin in account 1234567890123456, whose\n" +
				"sessions demo-admin trusts). The CloudSSO portal is at https://HOST:PORT/start/login; POST\n" +
				"/_emulator/cloudsso/approve with user_code=CODE plays the user who clicks \"allow\". OAuth\n" +
				"(/oauth2/v1/auth, /v1/token, /v1/exchange) is served too: point ALIROLE_OAUTH_SIGNIN_URL and\n" +
				"ALIROLE_OAUTH_URL at https://HOST:PORT; its sign-in page redirects back at once (a signed-in\n" +
				"user who consents).\n" +
				"--latency and --fault make it misbehave, to test how scripts and clients cope, e.g.\n" +
				"--fault action=AssumeRole,times=2,status=503 (two ServiceUnavailable, then normal answers),\n" +
				"--fault hang, --fault huge-body=800MiB, --fault expiration=2099-01-01T00:00:00Z.\n" +
				"A --fault SPEC is " + stsemu.FaultSpecHelp + ".",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "config", Usage: "world JSON file (accounts, users, keys, roles, trust)"},
				&cli.StringFlag{Name: "listen", Value: "127.0.0.1:0", Usage: "TLS listen address"},
				&cli.StringFlag{Name: "ca-file", Required: true, Usage: "where to write the CA certificate (PEM)"},
				&cli.StringFlag{Name: "http-listen", Usage: "also serve plain HTTP on this address"},
				&cli.DurationFlag{Name: "token-lifetime", Usage: "issue sessions that expire after this long (0: as requested)"},
				&cli.DurationFlag{Name: "latency", Usage: "delay every answer by this long"},
				&cli.GenericFlag{Name: "fault", Value: &faultList{}, Usage: "inject a fault: SPEC as described above (repeatable; applied in order)"},
				&cli.DurationFlag{Name: "sso-interval", Value: stsemu.DefaultSSOInterval, Usage: "CloudSSO device authorization polling interval"},
			},
			Action: func(c *cli.Context) error {
				var faults []stsemu.Fault
				if fl, ok := c.Generic("fault").(*faultList); ok {
					faults = fl.faults
				}
				ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
				defer stop()
				return stsemu.RunStandalone(ctx, stsemu.StandaloneConfig{
					WorldPath:     c.String("config"),
					Listen:        c.String("listen"),
					CAPath:        c.String("ca-file"),
					HTTPListen:    c.String("http-listen"),
					TokenLifetime: c.Duration("token-lifetime"),
					Latency:       c.Duration("latency"),
					Faults:        faults,
					SSO:           stsemu.SSOOptions{Interval: c.Duration("sso-interval"), EnforceInterval: true},
				}, e.Stdout, e.Stderr)
			},
		}},
	}
}

// faultList collects repeated --fault values. A GenericFlag, because a
// slice flag would split the comma-separated spec into pieces.
type faultList struct {
	specs  []string
	faults []stsemu.Fault
}

func (l *faultList) Set(spec string) error {
	f, err := stsemu.ParseFault(spec)
	if err != nil {
		return err
	}
	l.specs = append(l.specs, spec)
	l.faults = append(l.faults, f)
	return nil
}

func (l *faultList) String() string { return strings.Join(l.specs, " ") }
