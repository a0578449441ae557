package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/keychain"
	"github.com/alirole/alirole/shellenv"
)

// The reference is rendered here rather than with urfave/cli's ToMan and
// ToMarkdown, which list flags only: each command gets its arguments and
// description, each flag its description, default and variable, and the
// page ends with the config keys, the environment, the files and the exit
// statuses, all taken from the code.

// section is one titled part of the page: paragraphs and definition lists.
type section struct {
	title string
	items []item
}

// item is a paragraph (term == "") or a definition (term: text).
type item struct {
	term, text string
	code       bool // text is a literal block (synopsis)
	sub        bool // term is a subheading (a command)
}

func reference(app *cli.App) []section {
	var out []section
	out = append(out, section{"NAME", []item{{text: app.Name + " - " + app.Usage}}})
	out = append(out, section{"SYNOPSIS", []item{{code: true, text: app.Name + " [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGUMENTS...]"}}})
	out = append(out, section{"DESCRIPTION", []item{{text: "Long-term AccessKeys live in the OS keychain; programs get STS sessions " +
		"for RAM roles, through as many AssumeRole hops as the profile chain has. Flags may come before or " +
		"after the profile, up to \"--\"; global flags are accepted after the command too."}}})
	out = append(out, section{"GLOBAL OPTIONS", flagItems(app.Flags)})
	var cmds []item
	var walk func(prefix string, list []*cli.Command)
	walk = func(prefix string, list []*cli.Command) {
		for _, c := range list {
			if c.Hidden || c.Name == "help" {
				continue
			}
			name := strings.TrimSpace(prefix + " " + c.Name)
			head := name
			if len(c.Aliases) > 0 {
				head += " (" + strings.Join(c.Aliases, ", ") + ")"
			}
			cmds = append(cmds, item{term: head, sub: true})
			syn := app.Name + " " + name
			if len(c.Flags) > 0 {
				syn += " [OPTIONS]"
			}
			if c.ArgsUsage != "" {
				syn += " " + c.ArgsUsage
			} else if len(c.Subcommands) > 0 {
				syn += " COMMAND"
			}
			cmds = append(cmds, item{code: true, text: syn}, item{text: sentence(c.Usage)})
			if c.Description != "" {
				for _, para := range strings.Split(c.Description, "\n\n") {
					cmds = append(cmds, item{text: strings.Join(strings.Fields(para), " ")})
				}
			}
			cmds = append(cmds, flagItems(c.Flags)...)
			walk(name, c.Subcommands)
		}
	}
	walk("", app.Commands)
	out = append(out, section{"COMMANDS", cmds})

	keys := []item{{text: "Profiles live in an INI file without any secret: $ALIROLE_CONFIG_FILE, else " +
		"$XDG_CONFIG_HOME/alirole/config, else ~/.config/alirole/config. Sections are [profile NAME] or [default]; " +
		"lines are \"key = value\"; # and ; start a comment on a line of their own or after a blank (not inside quotes). " +
		"The file is validated on every run; errors name the file, line, profile and key. Keys:"}}
	for _, d := range config.KeyDocs() {
		keys = append(keys, item{term: d.Key, text: d.Meaning})
	}
	out = append(out, section{"CONFIGURATION", keys})
	out = append(out, section{"ENVIRONMENT", envItems(app)})
	out = append(out, section{"FILES", []item{
		{term: "~/.config/alirole/config", text: "the profile file (see CONFIGURATION for how its path is chosen)"},
		{term: "~/.alirole/keys", text: "the encrypted file backend's items (--file-dir, ALIROLE_FILE_DIR); created by the first write. " +
			"If its passphrase is lost, move the directory away and store the AccessKeys again"},
		{term: "$XDG_RUNTIME_DIR/alirole", text: "lock files that let parallel runs share one STS call per hop " +
			"(without XDG_RUNTIME_DIR: alirole/locks in the user cache directory)"},
		{term: "~/.aliyun/config.json", text: "the aliyun CLI's profiles: setup-cli adds one, import reads them, import --scrub rewrites them"},
		{term: "~/.aliyun/config.json.alirole-backup-TIME", text: "the previous config.json, kept by setup-cli and import (after import it still holds the plaintext secrets)"},
	}})
	out = append(out, section{"EXIT STATUS", []item{
		{term: "0", text: "success"},
		{term: "1", text: "an error, explained on stderr"},
		{term: "126", text: "exec: the command was found but cannot be executed"},
		{term: "127", text: "exec: the command was not found"},
		{term: "130", text: "Ctrl-C at a prompt"},
		{term: "other", text: "exec: the command's own exit status (128+N when signal N ended it)"},
	}})
	return out
}

func sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

func flagItems(flags []cli.Flag) []item {
	var out []item
	for _, f := range flags {
		if vf, ok := f.(cli.VisibleFlag); ok && !vf.IsVisible() {
			continue
		}
		df, ok := f.(cli.DocGenerationFlag)
		if !ok {
			continue
		}
		var names []string
		for _, n := range f.Names() {
			if len(n) == 1 {
				names = append(names, "-"+n)
			} else {
				names = append(names, "--"+n)
			}
		}
		term := strings.Join(names, ", ")
		if df.TakesValue() {
			term += " VALUE"
		}
		text := df.GetUsage()
		if d := df.GetDefaultText(); df.TakesValue() && d != "" && !strings.Contains(text, "(default") {
			text += " (default: " + d + ")"
		}
		if env := df.GetEnvVars(); len(env) > 0 {
			text += "; environment: " + strings.Join(env, ", ")
		}
		out = append(out, item{term: term, text: text})
	}
	return out
}

// envItems lists every ALIROLE_* variable: those behind flags, with their
// flag, and those read or set elsewhere.
func envItems(app *cli.App) []item {
	byVar := map[string]string{}
	places := map[string][]string{} // the commands whose flag reads it
	collect := func(where string, flags []cli.Flag) {
		for _, f := range flags {
			df, ok := f.(cli.DocGenerationFlag)
			if !ok {
				continue
			}
			for _, v := range df.GetEnvVars() {
				if where != "" {
					places[v] = append(places[v], where)
				}
				byVar[v] = fmt.Sprintf("%s: %s", strings.TrimSpace(strings.Join(places[v], ", ")+" --"+f.Names()[0]), df.GetUsage())
			}
		}
	}
	collect("", app.Flags)
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		for _, c := range cmds {
			name := strings.TrimSpace(prefix + " " + c.Name)
			collect(name, c.Flags)
			walk(name, c.Subcommands)
		}
	}
	walk("", app.Commands)
	byVar[keychain.PassphraseEnv] = "the file backend's passphrase, for unattended use (an empty value counts as unset); " +
		"exec removes it from the command's environment"
	byVar[shellenv.EnvProfile] = "set by exec and export to the profile delivered; exec refuses to run inside it unless --force-nested"
	byVar[shellenv.EnvSessionExpiration] = "set by exec and export: when the delivered session expires (RFC 3339)"
	byVar["ALIROLE_OAUTH_SIGNIN_URL"] = "oauth sources: the sign-in (authorize) host to use instead of the site's, e.g. the bundled emulator"
	byVar["ALIROLE_OAUTH_URL"] = "oauth sources: the OAuth token/exchange host to use instead of the site's, e.g. the bundled emulator"
	names := make([]string, 0, len(byVar))
	for n := range byVar {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []item
	for _, n := range names {
		out = append(out, item{term: n, text: byVar[n]})
	}
	return append(out,
		item{term: "XDG_CONFIG_HOME", text: "where the config file is looked for"},
		item{term: "XDG_RUNTIME_DIR", text: "where lock files go"},
		item{term: "SHELL", text: "exec's default command, and export's default format (fish, pwsh)"},
		item{term: "BROWSER", text: "login: the browser to open the console in (colon-separated commands; %s is the URL)"},
	)
}

func renderMarkdown(secs []section) string {
	var b strings.Builder
	for _, s := range secs {
		fmt.Fprintf(&b, "# %s\n\n", s.title)
		for _, it := range s.items {
			switch {
			case it.sub:
				fmt.Fprintf(&b, "## %s\n\n", it.term)
			case it.code:
				fmt.Fprintf(&b, "```\n%s\n```\n\n", it.text)
			case it.term != "":
				fmt.Fprintf(&b, "**%s**: %s\n\n", it.term, it.text)
			default:
				fmt.Fprintf(&b, "%s\n\n", it.text)
			}
		}
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

// roff escapes text for the man page: backslashes, and a leading dot or
// quote that would read as a request.
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "\n.", "\n\\&.")
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	return s
}

func renderMan(name string, secs []section) string {
	var b strings.Builder
	fmt.Fprintf(&b, ".TH %s 1\n.nh\n.ad l\n", strings.ToUpper(name))
	for _, s := range secs {
		fmt.Fprintf(&b, ".SH %s\n", s.title)
		for _, it := range s.items {
			switch {
			case it.sub:
				fmt.Fprintf(&b, ".SS %s\n", roff(it.term))
			case it.code:
				fmt.Fprintf(&b, ".PP\n.EX\n%s\n.EE\n", roff(it.text))
			case it.term != "":
				fmt.Fprintf(&b, ".TP\n\\fB%s\\fR\n%s\n", strings.ReplaceAll(roff(it.term), "-", `\-`), roff(it.text))
			default:
				fmt.Fprintf(&b, ".PP\n%s\n", roff(it.text))
			}
		}
	}
	return b.String()
}
