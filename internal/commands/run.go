package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/internal/prompt"
	"github.com/alirole/alirole/internal/scrub"
)

// Run runs the app and returns the process exit code. Errors are printed
// once, as "alirole: ...", and commands that mirror a child's status return
// it through cli.ExitCoder.
func Run(ctx context.Context, app *cli.App, args []string, env Env) int {
	app.Writer, app.ErrWriter = env.Stdout, env.Stderr
	app.Reader = env.Stdin
	app.ExitErrHandler = func(*cli.Context, error) {} // exit codes are ours to map
	if IsCompletion(args) {
		Complete(app, env, args)
		return 0
	}
	onUsageError(app.Commands)
	app.OnUsageError = usageError
	args = ReorderArgs(app, args)
	err := unknownCommand(app, args)
	if err == nil {
		err = app.RunContext(ctx, args)
	}
	if err == nil {
		return 0
	}
	if errors.Is(err, prompt.ErrInterrupted) {
		// Ctrl-C at a prompt: the status of a process ended by SIGINT.
		fmt.Fprintln(env.Stderr, "alirole: "+err.Error())
		return 130
	}
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		if msg := ec.Error(); msg != "" {
			fmt.Fprintln(env.Stderr, "alirole: "+scrub.Control(msg))
		}
		return ec.ExitCode()
	}
	// Error texts quote servers, helpers and files: no terminal escapes.
	fmt.Fprintln(env.Stderr, "alirole: "+scrub.Control(err.Error()))
	return 1
}

// usageError reports a bad flag or value in one line, pointing at --help,
// instead of urfave/cli's "Incorrect Usage" followed by the whole help.
func usageError(c *cli.Context, err error, _ bool) error {
	where := "alirole"
	flags := c.App.Flags
	if c.Command != nil && c.Command.Name != "" && c.Command.Name != c.App.Name {
		where = "alirole " + c.Command.FullName()
		if c.Command.HelpName != "" {
			where = c.Command.HelpName
		}
		flags = append(append([]cli.Flag{}, c.Command.Flags...), flags...)
	}
	msg := err.Error()
	for _, f := range flags {
		if _, ok := f.(*cli.DurationFlag); ok && strings.Contains(msg, "flag -"+f.Names()[0]+":") {
			msg += " (a duration needs a unit, such as 30s, 5m or 1h)"
			break
		}
	}
	return fmt.Errorf("%s (see '%s --help')", msg, where)
}

func onUsageError(cmds []*cli.Command) {
	for _, c := range cmds {
		if c.OnUsageError == nil {
			c.OnUsageError = usageError
		}
		onUsageError(c.Subcommands)
	}
}

// unknownCommand refuses a command name that does not exist, suggesting the
// closest ones, rather than urfave/cli's "No help topic" with status 3.
func unknownCommand(app *cli.App, args []string) error {
	i := 1
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "--" {
		if takesValue(app.Flags, args[i]) {
			i++
		}
		i++
	}
	if i >= len(args) || args[i] == "--" {
		return nil
	}
	name := args[i]
	var names []string
	for _, c := range app.Commands {
		names = append(names, c.Names()...)
	}
	names = append(names, "help", "h")
	for _, n := range names {
		if n == name {
			return nil
		}
	}
	msg := fmt.Sprintf("unknown command %q", name)
	if s := config.Suggest(name, names, 3); len(s) > 0 {
		msg += "; did you mean " + strings.Join(s, " or ") + "?"
	}
	return errors.New(msg + " (see 'alirole --help')")
}

// ReorderArgs lets flags go anywhere before "--", as users expect:
// urfave/cli stops parsing flags at the first positional argument and only
// takes global flags before the command name. So a command's flags that
// follow its arguments move in front of them ("alirole export prod --format
// json"), and global flags given after the command move before it
// ("alirole export --debug prod").
func ReorderArgs(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	globals := []string{args[0]}
	i := 1
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "--" {
		globals = append(globals, args[i])
		if takesValue(app.Flags, args[i]) && i+1 < len(args) {
			i++
			globals = append(globals, args[i])
		}
		i++
	}
	if i >= len(args) {
		return globals
	}
	cmd := app.Command(args[i])
	path := []string{args[i]}
	i++
	for cmd != nil && len(cmd.Subcommands) > 0 && i < len(args) {
		sub := cmd.Command(args[i])
		if sub == nil {
			break
		}
		cmd = sub
		path = append(path, args[i])
		i++
	}
	if cmd == nil || cmd.SkipFlagParsing {
		return append(append(globals, path...), args[i:]...)
	}
	var flags, positional []string
	// A second positional argument starts a command line (exec PROFILE CMD
	// ARGS...): from there on every argument belongs to that command.
	for ; i < len(args) && len(positional) < 2; i++ {
		a := args[i]
		if a == "--" {
			break
		}
		if !strings.HasPrefix(a, "-") || len(a) == 1 {
			positional = append(positional, a)
			continue
		}
		dest, set := &flags, cmd.Flags
		if !hasFlag(cmd.Flags, a) && hasFlag(app.Flags, a) {
			dest, set = &globals, app.Flags
		}
		*dest = append(*dest, a)
		if takesValue(set, a) && i+1 < len(args) {
			i++
			*dest = append(*dest, args[i])
		}
	}
	out := append(append(append(globals, path...), flags...), positional...)
	return append(out, args[i:]...)
}

// flagName strips dashes and any "=value" from a flag argument.
func flagName(arg string) string {
	name, _, _ := strings.Cut(strings.TrimLeft(arg, "-"), "=")
	return name
}

func hasFlag(flags []cli.Flag, arg string) bool {
	name := flagName(arg)
	for _, f := range flags {
		for _, n := range f.Names() {
			if n == name {
				return true
			}
		}
	}
	return false
}

// takesValue reports whether arg names a non-boolean flag given without
// "=value", so the next argument is its value.
func takesValue(flags []cli.Flag, arg string) bool {
	name := strings.TrimLeft(arg, "-")
	if strings.Contains(name, "=") {
		return false
	}
	for _, f := range flags {
		for _, n := range f.Names() {
			if n != name {
				continue
			}
			if df, ok := f.(cli.DocGenerationFlag); ok {
				return df.TakesValue()
			}
			return false
		}
	}
	return false
}
