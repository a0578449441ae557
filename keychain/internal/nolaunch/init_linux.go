package nolaunch

import (
	"bufio"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// probeTimeout bounds the handshake with a session bus: the D-Bus library
// connects at package init without any timeout, so a bus that accepts
// connections and never answers would hang every alirole command.
const probeTimeout = 2 * time.Second

func init() {
	addr := os.Getenv(envVar)
	if !mayOpenBus(os.Getenv, os.Args[1:]) {
		// No D-Bus backend can be opened in this run: keep keyring's init
		// off the bus altogether, without probing it.
		original = addr
		_ = os.Setenv(envVar, placeholder)
		return
	}
	if addr != "" && addr != "autolaunch:" {
		if !answers(addr) {
			original = addr
			_ = os.Setenv(envVar, placeholder)
		}
		return
	}
	// godbus finds a systemd user bus here by itself; leave that path open.
	dir := filepath.Join("/run/user", strconv.Itoa(os.Getuid()))
	for _, name := range []string{"bus", "dbus-session"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			return
		}
	}
	_ = os.Setenv(envVar, placeholder)
}

// answers reports whether the first unix-socket address of a bus address
// completes the start of the D-Bus authentication within probeTimeout.
// Addresses it cannot probe (tcp, launchd, ...) are assumed to work.
func answers(addr string) bool {
	network, path := "", ""
	for _, part := range strings.Split(strings.SplitN(addr, ";", 2)[0], ",") {
		k, v, _ := strings.Cut(strings.TrimPrefix(part, "unix:"), "=")
		switch k {
		case "path":
			network, path = "unix", v
		case "abstract":
			network, path = "unix", "@"+v
		}
	}
	if network == "" {
		return true
	}
	conn, err := net.DialTimeout(network, path, probeTimeout)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(probeTimeout))
	uid := hex.EncodeToString([]byte(strconv.Itoa(os.Getuid())))
	if _, err := conn.Write([]byte("\x00AUTH EXTERNAL " + uid + "\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return err == nil && (strings.HasPrefix(line, "OK") || strings.HasPrefix(line, "REJECTED"))
}
