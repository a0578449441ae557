package commands

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/alirole/alirole/config"
	"github.com/alirole/alirole/keychain"
	"github.com/alirole/alirole/shellenv"
)

// Completion is `alirole completion SHELL`. Every script asks alirole itself
// for candidates (Complete), so commands, flags, flag values and profile
// names stay in step with the binary and the config file.
func Completion(e Env) *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script (bash, zsh, fish, powershell)",
		ArgsUsage: "SHELL",
		Description: "bash:        source <(alirole completion bash)        (e.g. in ~/.bashrc)\n" +
			"zsh:         source <(alirole completion zsh)         (e.g. in ~/.zshrc)\n" +
			"fish:        alirole completion fish | source         (or save to ~/.config/fish/completions/alirole.fish)\n" +
			"powershell:  alirole completion powershell | Out-String | Invoke-Expression   (e.g. in $PROFILE)",
		Action: func(c *cli.Context) error {
			shell := c.Args().First()
			switch shell {
			case "bash":
				_, err := io.WriteString(e.Stdout, bashCompletion)
				return err
			case "zsh":
				_, err := io.WriteString(e.Stdout, zshCompletion)
				return err
			case "fish":
				_, err := io.WriteString(e.Stdout, fishCompletion)
				return err
			case "powershell", "pwsh":
				_, err := io.WriteString(e.Stdout, powershellCompletion)
				return err
			}
			return fmt.Errorf("completion: unknown shell %q: use bash, zsh, fish or powershell", shell)
		},
	}
}

// completionFlag ends the command line a completion script runs: "alirole
// WORDS... CUR --generate-bash-completion", where CUR is the word being
// completed (possibly empty). The name is urfave/cli's, but alirole answers
// it itself (see Complete) so that no command's action ever runs.
const completionFlag = "--generate-bash-completion"

// After "--" the words belong to the command exec runs, so the scripts fall
// back to the shell's own completion there and never run alirole.
const bashCompletion = `# bash completion for alirole
_alirole() {
	local cur=${COMP_WORDS[COMP_CWORD]} w
	for w in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
		if [[ $w == -- ]]; then
			compopt -o default 2>/dev/null
			COMPREPLY=()
			return
		fi
	done
	local IFS=$'\n'
	COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" "${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" ` + completionFlag + ` 2>/dev/null)" -- "$cur"))
}
complete -o bashdefault -o default -F _alirole alirole
`

const zshCompletion = `#compdef alirole
# zsh completion for alirole
_alirole() {
	local -a candidates
	if (( ${words[(I)--]} && ${words[(I)--]} < CURRENT )); then
		_normal
		return
	fi
	candidates=("${(@f)$(${words[1]} "${(@)words[2,CURRENT-1]}" "${words[CURRENT]}" ` + completionFlag + ` 2>/dev/null)}")
	if [[ -n ${candidates[1]} ]]; then
		compadd -a candidates
	else
		_files
	fi
}
compdef _alirole alirole
`

// fishCompletion asks alirole for candidates like the other scripts; when
// there are none (a file argument, or the command after "--") fish
// completes paths.
const fishCompletion = `# fish completion for alirole
function __alirole_complete
	set -l words (commandline -opc)
	set -l cur (commandline -ct)
	if not contains -- -- $words[2..-1]
		set -l out ($words[1] $words[2..-1] "$cur" ` + completionFlag + ` 2>/dev/null)
		if test (count $out) -gt 0
			printf '%s\n' $out
			return
		end
	end
	__fish_complete_path "$cur"
end
complete -c alirole -f -a '(__alirole_complete)'
`

const powershellCompletion = `# PowerShell completion for alirole
Register-ArgumentCompleter -Native -CommandName alirole -ScriptBlock {
	param($wordToComplete, $commandAst, $cursorPosition)
	$words = @($commandAst.CommandElements | Select-Object -Skip 1 | ForEach-Object { $_.ToString() })
	if ($wordToComplete -ne '' -and $words.Count -gt 0) { $words = @($words[0..($words.Count - 2)]) }
	if ($words -contains '--') { return }
	& alirole @words "$wordToComplete" --generate-bash-completion 2>$null |
		Where-Object { $_ -like "$wordToComplete*" } |
		ForEach-Object { [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_) }
}
`

// Complete answers a completion script: args is the whole command line,
// ending in CUR and completionFlag. It only looks at the words and reads
// the config file for profile names: it never opens the keychain,
// resolves credentials, prompts or touches the network, whatever the words
// say (TAB after "alirole exec prod --" once ran exec).
func Complete(app *cli.App, e Env, args []string) {
	if len(args) < 2 || args[len(args)-1] != completionFlag {
		return
	}
	words := args[1 : len(args)-1]
	cur := ""
	if len(words) > 0 {
		cur, words = words[len(words)-1], words[:len(words)-1]
	}
	out := bufio.NewWriter(e.Stdout) // one write, not one per candidate
	for _, c := range candidates(app, e, words, cur) {
		if strings.HasPrefix(c, cur) {
			fmt.Fprintln(out, c)
		}
	}
	_ = out.Flush() // completion has nowhere to report a failed write
}

// IsCompletion reports whether args is a completion script's request. A
// completionFlag after a "--" that is not the word being completed belongs
// to the command exec runs ("alirole exec p -- tool --generate-bash-completion").
func IsCompletion(args []string) bool {
	n := len(args)
	if n < 2 || args[n-1] != completionFlag {
		return false
	}
	// args[n-2] is the word being completed, when there is one.
	for _, a := range args[1:max(1, n-2)] {
		if a == "--" {
			return false
		}
	}
	return true
}

// candidates lists what may follow words, unfiltered.
func candidates(app *cli.App, e Env, words []string, cur string) []string {
	var cmd *cli.Command
	positional := 0
	configFile := ""
	for i := 0; i < len(words); i++ {
		w := words[i]
		if w == "--" {
			return nil // the words after it are the command's (never reached from the scripts)
		}
		if strings.HasPrefix(w, "-") && len(w) > 1 {
			f := findFlag(cmd, app, w)
			name, value, hasValue := strings.Cut(strings.TrimLeft(w, "-"), "=")
			if f == nil || hasValue || !takesValue([]cli.Flag{f}, w) {
				if name == "config" && hasValue {
					configFile = value
				}
				continue
			}
			if i+1 == len(words) {
				return flagValues(f) // cur is this flag's value
			}
			i++
			if name == "config" {
				configFile = words[i]
			}
			continue
		}
		switch {
		case cmd == nil:
			if cmd = app.Command(w); cmd == nil {
				return nil
			}
		case positional == 0 && len(cmd.Subcommands) > 0 && cmd.Command(w) != nil:
			cmd = cmd.Command(w)
		default:
			positional++
		}
	}
	if strings.HasPrefix(cur, "-") {
		return flagNames(cmd, app)
	}
	switch {
	case cmd == nil:
		return commandNames(app.Commands)
	case positional > 0:
		return nil
	case len(cmd.Subcommands) > 0:
		return commandNames(cmd.Subcommands)
	case cmd.Name == "completion":
		return []string{"bash", "zsh", "fish", "powershell"}
	case takesProfile(cmd):
		return profileNames(e, configFile)
	}
	return nil
}

// findFlag finds the flag arg names among the command's and the global
// flags (global flags go anywhere, see ReorderArgs).
func findFlag(cmd *cli.Command, app *cli.App, arg string) cli.Flag {
	name := flagName(arg)
	var sets [][]cli.Flag
	if cmd != nil {
		sets = append(sets, cmd.Flags)
	}
	for _, set := range append(sets, app.Flags) {
		for _, f := range set {
			for _, n := range f.Names() {
				if n == name {
					return f
				}
			}
		}
	}
	return nil
}

// flagValues lists the fixed values of flags that have them; for the
// others (files, durations, names) the shell completes paths.
func flagValues(f cli.Flag) []string {
	switch f.Names()[0] {
	case "format":
		var out []string
		for _, v := range shellenv.Formats() {
			out = append(out, string(v))
		}
		return out
	case "backend":
		return keychain.BackendNames()
	case "session-cache":
		return keychain.SessionCacheNames()
	}
	return nil
}

func flagNames(cmd *cli.Command, app *cli.App) []string {
	var out []string
	seen := map[string]bool{}
	add := func(flags []cli.Flag) {
		for _, f := range flags {
			if vf, ok := f.(cli.VisibleFlag); ok && !vf.IsVisible() {
				continue
			}
			n := "--" + f.Names()[0]
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	if cmd != nil {
		add(cmd.Flags)
	}
	add(app.Flags)
	out = append(out, "--help")
	if cmd == nil {
		out = append(out, "--version")
	}
	return out
}

func commandNames(cmds []*cli.Command) []string {
	var out []string
	for _, c := range cmds {
		if !c.Hidden {
			out = append(out, c.Name)
		}
	}
	return out
}

// takesProfile: the command's first argument is an alirole profile.
func takesProfile(cmd *cli.Command) bool {
	u := strings.TrimLeft(cmd.ArgsUsage, "[")
	return strings.HasPrefix(u, "PROFILE")
}

// profileNames reads the config file the command line selects (--config,
// else ALIROLE_CONFIG_FILE, else the default path), sorted.
func profileNames(e Env, file string) []string {
	if file == "" {
		file = e.Getenv("ALIROLE_CONFIG_FILE")
	}
	if file == "" {
		file = config.DefaultPath(e.Getenv, e.Home)
	}
	cfg, err := config.Load(file)
	if err != nil {
		return nil
	}
	names := cfg.Names()
	sort.Strings(names)
	return names
}
