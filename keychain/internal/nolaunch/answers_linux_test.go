package nolaunch

import (
	"bufio"
	"net"
	"path/filepath"
	"testing"
	"time"
)

func listen(t *testing.T, reply string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bus")
	l, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if reply == "" {
					time.Sleep(5 * time.Second) // wedged: never answers
					return
				}
				bufio.NewReader(c).ReadString('\n')
				c.Write([]byte(reply))
			}()
		}
	}()
	return "unix:path=" + path
}

func TestAnswers(t *testing.T) {
	if !answers(listen(t, "OK 0123456789abcdef\r\n")) {
		t.Error("a bus that answers OK should pass")
	}
	if !answers(listen(t, "REJECTED EXTERNAL\r\n")) {
		t.Error("a bus that rejects the mechanism still answers")
	}
	start := time.Now()
	if answers(listen(t, "")) {
		t.Error("a wedged bus should fail")
	}
	if took := time.Since(start); took > probeTimeout+time.Second {
		t.Errorf("probe took %s", took)
	}
	if answers("unix:path=" + filepath.Join(t.TempDir(), "missing")) {
		t.Error("a missing socket should fail")
	}
	if !answers("tcp:host=127.0.0.1,port=1") {
		t.Error("addresses it cannot probe are assumed to work")
	}
}
