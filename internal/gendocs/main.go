// Command gendocs renders the man page (docs/alirole.1) and the markdown
// command reference (docs/commands.md) from alirole's CLI definition.
// It is a separate program so that the shipped binary carries no document
// rendering (and, built with urfave_cli_no_docs, none of urfave/cli's).
//
//	go run ./internal/gendocs man|markdown
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/alirole/alirole/internal/commands"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: gendocs man|markdown")
	}
	// Defaults shown in the docs come from the environment (ALIROLE_*,
	// HOME): render them for a user who has set nothing.
	os.Clearenv()
	if err := os.Setenv("HOME", "/nonexistent"); err != nil {
		return fmt.Errorf("set HOME: %w", err)
	}
	app := commands.App(commands.SystemEnv(), "dev")
	app.Setup() // adds --help and --version, as a run of the binary would
	var text string
	switch args[0] {
	case "man":
		text = renderMan(app.Name, reference(app))
	case "markdown":
		text = renderMarkdown(reference(app))
	default:
		return fmt.Errorf("unknown format %q: say man or markdown", args[0])
	}
	_, err := io.WriteString(out, text)
	return err
}
