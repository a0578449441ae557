package commands

import (
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

// Completion is `alirole completion SHELL`. Every script asks alirole itself
// for candidates (urfave/cli's --generate-bash-completion), so commands,
// flags and profile names stay in step with the binary and the config file.
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
				return writeFishCompletion(e.Stdout, c.App)
			case "powershell", "pwsh":
				_, err := io.WriteString(e.Stdout, powershellCompletion)
				return err
			}
			return fmt.Errorf("completion: unknown shell %q: use bash, zsh, fish or powershell", shell)
		},
	}
}

// profileCommands take a profile name as their first argument.
var profileCommands = []string{"add", "remove", "rm", "exec", "export", "whoami", "clear", "setup-cli", "login", "rotate"}

// After "--" the words belong to the command exec runs, so the scripts fall
// back to the shell's own completion there.
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
	local words
	if [[ $cur == -* ]]; then
		words=$("${COMP_WORDS[@]:0:COMP_CWORD}" "$cur" --generate-bash-completion 2>/dev/null)
	else
		words=$("${COMP_WORDS[@]:0:COMP_CWORD}" --generate-bash-completion 2>/dev/null)
	fi
	COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o bashdefault -o default -F _alirole alirole
`

const zshCompletion = `#compdef alirole
# zsh completion for alirole
_alirole() {
	local -a candidates
	local cur=${words[CURRENT]}
	if (( ${words[(I)--]} && ${words[(I)--]} < CURRENT )); then
		_normal
		return
	fi
	if [[ $cur == -* ]]; then
		candidates=("${(@f)$(${words[1,CURRENT-1]} $cur --generate-bash-completion 2>/dev/null)}")
	else
		candidates=("${(@f)$(${words[1,CURRENT-1]} --generate-bash-completion 2>/dev/null)}")
	fi
	if [[ -n ${candidates[1]} ]]; then
		compadd -a candidates
	else
		_files
	fi
}
compdef _alirole alirole
`

const powershellCompletion = `# PowerShell completion for alirole
Register-ArgumentCompleter -Native -CommandName alirole -ScriptBlock {
	param($wordToComplete, $commandAst, $cursorPosition)
	$words = @($commandAst.CommandElements | Select-Object -Skip 1 | ForEach-Object { $_.ToString() })
	if ($words -contains '--') { return }
	if ($wordToComplete -ne '' -and $words.Count -gt 0) { $words = @($words[0..($words.Count - 2)]) }
	if ($wordToComplete -like '-*') { $words += $wordToComplete }
	& alirole @words --generate-bash-completion 2>$null |
		Where-Object { $_ -like "$wordToComplete*" } |
		ForEach-Object { [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_) }
}
`

// writeFishCompletion prints urfave/cli's generated fish completions for
// commands and flags, plus dynamic profile names.
func writeFishCompletion(w io.Writer, app *cli.App) error {
	script, err := app.ToFishCompletion()
	if err != nil {
		return fmt.Errorf("generate fish completion: %w", err)
	}
	fmt.Fprintln(w, script)
	_, err = fmt.Fprintf(w, "complete -c alirole -f -n '__fish_seen_subcommand_from %s; and not __fish_seen_subcommand_from (alirole list --profiles 2>/dev/null)' -a '(alirole list --profiles 2>/dev/null)' -d profile\n",
		strings.Join(profileCommands, " "))
	return err
}
