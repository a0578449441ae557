package stsemu

import (
	"strings"
	"time"
)

// Call is one request as the emulator saw it. It holds no secrets.
type Call struct {
	// Time is the emulator clock when the request arrived.
	Time            time.Time
	Action          string
	AccessKeyID     string
	CallerARN       string // set once the signature verified
	RoleArn         string // as requested
	RoleSessionName string
	Status          int    // HTTP status; 0 when reset or canceled
	Code            string // error Code, "" on success
	Fault           string // injected faults applied, comma separated
	// Success means the client got a complete, well-formed 200 answer.
	Success bool
	// Canceled means the client or server gave up during injected latency.
	Canceled bool
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, c)
}

// Calls returns a copy of the call log in arrival-completion order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// Count counts successful calls of action ("" = any) for roleArn ("" =
// any; compared case-insensitively).
func (s *Server) Count(action, roleArn string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		if c.Success && (action == "" || c.Action == action) && (roleArn == "" || strings.EqualFold(c.RoleArn, roleArn)) {
			n++
		}
	}
	return n
}

// ResetCalls empties the call log.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}
