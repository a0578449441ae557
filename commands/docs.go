package commands

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"
)

// docsCommand prints the man page or the markdown command reference, both
// generated from the CLI definition (docs/alirole.1, docs/commands.md).
func docsCommand(e Env) *cli.Command {
	return &cli.Command{
		Name:      "docs",
		Usage:     "print the man page (man) or the markdown command reference (markdown)",
		ArgsUsage: "man|markdown",
		Action: func(c *cli.Context) error {
			var (
				text string
				err  error
			)
			switch c.Args().First() {
			case "man":
				text, err = c.App.ToMan()
			case "markdown":
				text, err = c.App.ToMarkdown()
			default:
				return fmt.Errorf("docs: say man or markdown")
			}
			if err != nil {
				return fmt.Errorf("generate docs: %w", err)
			}
			_, err = io.WriteString(e.Stdout, text)
			return err
		},
	}
}
