//go:build unix && !aix

package exec

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// helperEnv switches the test binary into a helper program: the test binary
// re-executes itself to play the child (or the wrapper) in these tests.
const helperEnv = "ALIROLE_EXEC_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helperMain(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

func testBinary() string {
	exe, err := os.Executable()
	if err != nil {
		return os.Args[0]
	}
	return exe
}

// helperEnviron is the whole environment of a helper: its mode, and no
// one-second pause at exit when the tests run under the race detector.
func helperEnviron(mode string) []string {
	return []string{helperEnv + "=" + mode, "GORACE=atexit_sleep_ms=0"}
}

// helperSpec runs the test binary in helper mode with nothing else in its
// environment.
func helperSpec(mode string, args ...string) Spec {
	return Spec{
		Path: testBinary(),
		Args: append([]string{"helper"}, args...),
		Env:  helperEnviron(mode),
	}
}

func helperMain(mode string, args []string) int {
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	switch mode {
	case "exit":
		n, _ := strconv.Atoi(arg(0))
		return n
	case "env":
		// The kernel's copy shows the environment exactly as received;
		// os.Environ hides duplicates.
		if raw, err := os.ReadFile("/proc/self/environ"); err == nil {
			fmt.Print(strings.TrimSuffix(string(raw), "\x00"))
			return 0
		}
		fmt.Print(strings.Join(os.Environ(), "\x00"))
		return 0
	case "echo":
		wd, _ := os.Getwd()
		fmt.Println(wd)
		_, _ = io.Copy(os.Stdout, os.Stdin)
		fmt.Fprint(os.Stderr, "to-stderr")
		return 0
	case "raise":
		n, _ := strconv.Atoi(arg(0))
		_ = syscall.Kill(os.Getpid(), syscall.Signal(n))
		time.Sleep(10 * time.Second)
		return 99
	case "sleep":
		fmt.Printf("ready %d\n", os.Getpid())
		time.Sleep(30 * time.Second)
		return 0
	case "wait-signal":
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2,
			syscall.SIGINT, syscall.SIGQUIT, syscall.SIGWINCH)
		fmt.Println("ready")
		select {
		case sig := <-ch:
			fmt.Printf("got %s\n", sig)
			return 42
		case <-time.After(10 * time.Second):
			return 98
		}
	case "count-int":
		ch := make(chan os.Signal, 8)
		signal.Notify(ch, syscall.SIGINT)
		fmt.Println("ready")
		select {
		case <-ch:
		case <-time.After(10 * time.Second):
			return 98
		}
		count := 1
		deadline := time.After(500 * time.Millisecond)
		for {
			select {
			case <-ch:
				count++
			case <-deadline:
				fmt.Printf("count=%d\n", count)
				return 0
			}
		}
	case "stop-self":
		// Go leaves SIGTSTP at its default action unless notified, so
		// this stops the helper the way Ctrl-Z would.
		_ = syscall.Kill(os.Getpid(), syscall.SIGTSTP)
		return 5
	case "wrap":
		// The wrapper: Run a helper child with the given mode and args.
		code, err := Run(context.Background(), Spec{
			Path:   testBinary(),
			Args:   append([]string{"child"}, args[1:]...),
			Env:    helperEnviron(arg(0)),
			Stdin:  os.Stdin,
			Stdout: os.Stdout,
			Stderr: os.Stderr,
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
		return code
	case "wrap-then-term":
		// After Run returns, SIGTERM must kill us again: Run may not
		// leave its subscription behind.
		if code, err := Run(context.Background(), helperSpec("exit", "0")); code != 0 || err != nil {
			return 97
		}
		_ = syscall.Kill(os.Getpid(), syscall.SIGTERM)
		time.Sleep(5 * time.Second)
		return 0
	case "replace":
		err := Replace(Spec{
			Path: "/bin/sh",
			Args: []string{"sh", "-c", `echo "$X|$HOME"; exit 3`},
			Env:  []string{"X=" + arg(0)},
		})
		fmt.Fprintln(os.Stderr, "replace returned:", err)
		return 100
	}
	fmt.Fprintln(os.Stderr, "unknown helper mode", mode)
	return 120
}
