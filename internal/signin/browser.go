package signin

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// Opener shows a URL to the user, normally in a web browser.
type Opener func(ctx context.Context, url string) error

// browserSettle is how long an opener may run before we take it for the
// browser itself (a $BROWSER such as "firefox" stays in the foreground).
const browserSettle = 5 * time.Second

// BrowserCommands lists the commands that may open a URL, best first, for
// the environment and GOOS: the entries of $BROWSER (colon separated; "%s"
// marks where the URL goes, else it is appended), then the platform's
// opener. Each command is split on white space; no shell is involved.
func BrowserCommands(getenv func(string) string, goos string) [][]string {
	var cmds [][]string
	for _, entry := range strings.Split(getenv("BROWSER"), ":") {
		fields := strings.Fields(entry)
		// The program name must not be the URL itself.
		if len(fields) == 0 || strings.Contains(fields[0], "%s") {
			continue
		}
		cmds = append(cmds, fields)
	}
	switch goos {
	case "darwin":
		cmds = append(cmds, []string{"open"})
	case "windows":
		cmds = append(cmds, []string{"rundll32", "url.dll,FileProtocolHandler"})
	default:
		cmds = append(cmds, []string{"xdg-open"})
	}
	return cmds
}

// argv places url into a command template.
func argv(template []string, url string) []string {
	out := make([]string, 0, len(template)+1)
	placed := false
	for _, a := range template {
		if strings.Contains(a, "%s") {
			a = strings.ReplaceAll(a, "%s", url)
			placed = true
		}
		out = append(out, a)
	}
	if !placed {
		out = append(out, url)
	}
	return out
}

// BrowserOpener opens URLs with the first of BrowserCommands that works.
func BrowserOpener(getenv func(string) string, goos string) Opener {
	return CommandOpener(BrowserCommands(getenv, goos))
}

// CommandOpener opens URLs with the first command (see BrowserCommands for
// the template form) that starts and does not fail within a few seconds.
// The URL necessarily appears in that command's argv; its output is
// discarded so that an opener echoing the URL cannot leak it into ours.
// Errors never contain the URL.
func CommandOpener(cmds [][]string) Opener {
	return func(ctx context.Context, url string) error {
		var errs []error
		for _, tmpl := range cmds {
			if len(tmpl) == 0 {
				continue
			}
			err := runOpener(ctx, argv(tmpl, url))
			if err == nil {
				return nil
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			errs = append(errs, fmt.Errorf("%s: %w", tmpl[0], err))
		}
		return fmt.Errorf("no browser could be started: %w", errors.Join(errs...))
	}
}

func runOpener(ctx context.Context, args []string) error {
	cmd := exec.Command(args[0], args[1:]...)
	// Nil streams are /dev/null.
	// Start errors name the program, never the arguments.
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t := time.NewTimer(browserSettle)
	defer t.Stop()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return fmt.Errorf("exit status %d", exit.ExitCode())
		}
		if err != nil {
			return errors.New("failed")
		}
		return nil
	case <-t.C:
		// Still running: a browser in the foreground, which is success.
		return nil
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-done
		return ctx.Err()
	}
}
