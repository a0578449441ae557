// Package commands implements alirole's CLI commands on top of config,
// keychain, resolve, exec and shellenv. Every outside dependency (streams,
// environment, clock, terminal, keyring) comes in through Env, so commands
// run the same under tests as for users.
//
// It lives under internal/ rather than at the root: it is wiring, not part of
// the data path. The root keeps only the packages a credential passes through
// (config → resolve → keychain → exec/shellenv) and main.go; everything that
// is not an API of its own (commands, the emulator, the aliyun CLI file
// handling, prompts, RAM key rotation, console sign-in) sits under internal/.
package commands

import (
	"io"
	"os"
	"os/user"
	"time"

	"github.com/99designs/keyring"

	"github.com/alirole/alirole/internal/prompt"
	"github.com/alirole/alirole/keychain"
)

// Env is everything a command may touch outside the process.
type Env struct {
	// Args is the command line (for shell completion, which needs the word
	// being completed).
	Args           []string
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Environ        func() []string
	Now            func() time.Time
	// TTY opens the controlling terminal for prompts.
	TTY prompt.Opener
	// Home is the user's home directory ("" when unknown).
	Home string
	// OpenKeyring opens a keyring backend (replaced in tests).
	OpenKeyring func(keychain.Options) (keyring.Keyring, error)
	// OpenSessionCache opens the kernel-keyring session cache for the
	// keychain the options describe (--session-cache keyctl).
	OpenSessionCache func(keychain.Options) (keyring.Keyring, error)
	// Executable is the absolute path of the running alirole binary.
	Executable func() (string, error)
	// CurrentUser returns the account running alirole (user.Current); nil
	// falls back to $USER.
	CurrentUser func() (*user.User, error)
	// HandOver, when set, readies the process for a program that replaces
	// it (execve): main's stdout guard puts the real stdout back on
	// descriptor 1, and the user's core-dump limit is restored.
	HandOver func() error
}

// SystemEnv is the real process environment.
func SystemEnv() Env {
	home, _ := os.UserHomeDir()
	return Env{
		Args: os.Args, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr,
		Getenv: os.Getenv, Environ: os.Environ, Now: time.Now,
		TTY: prompt.DefaultOpener, Home: home,
		OpenKeyring: keychain.Open, OpenSessionCache: keychain.OpenSessionCache,
		Executable: os.Executable, CurrentUser: user.Current,
	}
}
