// Package prompt asks the person at the terminal for a line or a secret.
//
// It talks to the controlling terminal (/dev/tty) rather than to stdin and
// stderr, because alirole is often run by other programs (credentials-go,
// shells in command substitution) that capture stderr and give no stdin.
package prompt

import (
	"errors"
	"fmt"
	"io"
	"os"
	"unicode/utf8"

	"golang.org/x/term"
)

// ErrNoTerminal means there is no terminal to ask: the process has no
// controlling terminal, or the opened file is not a terminal.
var ErrNoTerminal = errors.New("no terminal")

// ErrCancelled is returned when the person presses Ctrl-C, or Ctrl-D on an
// empty line, or the terminal goes away mid-prompt.
var ErrCancelled = errors.New("input cancelled")

// ErrInterrupted is the ErrCancelled of Ctrl-C in particular, for which
// alirole exits 130 as if SIGINT had ended it (the terminal is raw during a
// prompt, so no signal arrives).
var ErrInterrupted = fmt.Errorf("%w (Ctrl-C)", ErrCancelled)

// TTY is an open terminal. *os.File satisfies it.
type TTY interface {
	io.ReadWriteCloser
	Fd() uintptr
}

// Opener opens the terminal to prompt on. Each prompt opens and closes it,
// so that no terminal handle outlives the question.
type Opener func() (TTY, error)

// DefaultOpener opens the controlling terminal for reading and writing.
func DefaultOpener() (TTY, error) {
	f, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoTerminal, err)
	}
	return f, nil
}

// Secret writes label to the terminal and reads a line without echoing it.
func Secret(open Opener, label string) (string, error) {
	return ask(open, label, false)
}

// Line writes label to the terminal and reads a line, echoing what is typed.
func Line(open Opener, label string) (string, error) {
	return ask(open, label, true)
}

// Control bytes the line editor understands. The terminal is put in raw mode
// so that Ctrl-C arrives as a byte instead of a SIGINT: a signal would kill
// the process before the terminal settings are restored, leaving the user's
// shell with echo off.
const (
	keyCtrlC     = 0x03
	keyCtrlD     = 0x04
	keyBackspace = 0x08
	keyCtrlU     = 0x15
	keyEscape    = 0x1b
	keyDelete    = 0x7f
)

func ask(open Opener, label string, echo bool) (answer string, err error) {
	if open == nil {
		return "", fmt.Errorf("prompt: %w", ErrNoTerminal)
	}
	tty, err := open()
	if err != nil {
		return "", fmt.Errorf("prompt: %w", err)
	}
	defer func() {
		if cerr := tty.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("close terminal: %w", cerr)
		}
	}()

	fd := int(tty.Fd())
	if !term.IsTerminal(fd) {
		return "", fmt.Errorf("prompt: %w", ErrNoTerminal)
	}
	saved, err := term.MakeRaw(fd)
	if err != nil {
		return "", fmt.Errorf("prompt: set terminal mode: %w", err)
	}
	defer func() {
		if rerr := term.Restore(fd, saved); rerr != nil && err == nil {
			err = fmt.Errorf("prompt: restore terminal mode: %w", rerr)
		}
	}()

	// Raw mode also turns off output post-processing, so line ends are
	// written as \r\n explicitly.
	if _, err := io.WriteString(tty, label); err != nil {
		return "", fmt.Errorf("prompt: write label: %w", err)
	}
	line, err := readLine(tty, echo)
	if _, werr := io.WriteString(tty, "\r\n"); werr != nil && err == nil {
		err = fmt.Errorf("prompt: write newline: %w", werr)
	}
	if err != nil {
		return "", err
	}
	return line, nil
}

// readLine is a minimal line editor over a raw terminal: Enter ends the line,
// Backspace/Delete remove the last character, Ctrl-U clears the line, Ctrl-C
// (or Ctrl-D on an empty line) cancels, escape sequences such as arrow keys
// are ignored.
func readLine(tty TTY, echo bool) (string, error) {
	var (
		line   []byte
		buf    [64]byte
		escape escState
	)
	defer clear(line) // the secret should not linger in memory longer than needed

	out := func(s string) error {
		if !echo {
			return nil
		}
		_, err := io.WriteString(tty, s)
		return err
	}

	for {
		n, rerr := tty.Read(buf[:])
		for _, b := range buf[:n] {
			if escape != escNone {
				escape = escape.next(b)
				continue
			}
			var werr error
			switch {
			case b == '\r' || b == '\n':
				return string(line), nil
			case b == keyCtrlC:
				return "", ErrInterrupted
			case b == keyCtrlD:
				if len(line) == 0 {
					return "", ErrCancelled
				}
			case b == keyBackspace || b == keyDelete:
				if len(line) > 0 {
					_, size := utf8.DecodeLastRune(line)
					clear(line[len(line)-size:])
					line = line[:len(line)-size]
					werr = out("\b \b")
				}
			case b == keyCtrlU:
				for range utf8.RuneCount(line) {
					if werr = out("\b \b"); werr != nil {
						break
					}
				}
				clear(line)
				line = line[:0]
			case b == keyEscape:
				escape = escStart
			case b < 0x20:
				// Other control characters have no meaning in a one-line answer.
			default:
				line = append(line, b)
				werr = out(string(b))
			}
			if werr != nil {
				return "", fmt.Errorf("prompt: echo: %w", werr)
			}
		}
		if rerr != nil {
			// A closed or hung-up terminal reads as EOF on some systems and
			// EIO on others; either way nobody is there to answer.
			return "", fmt.Errorf("%w (terminal closed: %w)", ErrCancelled, rerr)
		}
	}
}

// escState tracks an escape sequence so that its bytes are not taken as
// typed text: ESC [ params final, ESC O final, or ESC plus one byte.
type escState int

const (
	escNone escState = iota
	escStart
	escCSI // after ESC [ : parameter bytes until a final byte 0x40-0x7e
	escSS3 // after ESC O : exactly one more byte
)

func (s escState) next(b byte) escState {
	switch s {
	case escStart:
		switch b {
		case '[':
			return escCSI
		case 'O':
			return escSS3
		}
		return escNone
	case escCSI:
		if b >= 0x40 && b <= 0x7e {
			return escNone
		}
		return escCSI
	}
	return escNone
}
