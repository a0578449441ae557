package stsemu

import (
	"net/http"
	"strings"
	"time"
)

// Fault describes a misbehaviour applied to matching requests. Effects can
// be combined; precedence when responding is: Latency (always first), then
// ResetConnection, MalformedBody, Status, and otherwise normal processing
// with TruncateBody / OmitExpiration / TokenLifetime applied to its result.
type Fault struct {
	// Action and RoleArn select requests; empty matches any. RoleArn is
	// compared case-insensitively against the request parameter.
	Action  string
	RoleArn string
	// Times is how many matching requests the fault applies to; 0 = all.
	Times int

	// Latency delays the response; the wait ends early if the client
	// cancels or the server closes.
	Latency time.Duration
	// Status answers with this HTTP status and an STS error body, without
	// processing. Code defaults by status (500 InternalError, 503
	// ServiceUnavailable, 400 Throttling), Message by code.
	Status  int
	Code    string
	Message string
	// TruncateBody cuts the JSON response in half.
	TruncateBody bool
	// MalformedBody answers with an HTML page (status Status, default 200).
	MalformedBody bool
	// OmitExpiration drops Credentials.Expiration from a successful
	// AssumeRole response (credentials-go panics on that).
	OmitExpiration bool
	// ResetConnection aborts the TCP connection with an RST.
	ResetConnection bool
	// TokenLifetime issues sessions that really expire after this long; the
	// Expiration field stays truthful.
	TokenLifetime time.Duration
}

type activeFault struct {
	f         Fault
	remaining int // <0: unlimited
}

// effects is the merged result of the faults matching one request.
type effects struct {
	latency        time.Duration
	reset          bool
	malformed      bool
	status         int
	code, message  string
	truncate       bool
	omitExpiration bool
	tokenLifetime  time.Duration
	names          []string
}

// Inject adds a fault. Faults apply in injection order and are consumed
// per matching request.
func (s *Server) Inject(f Fault) {
	remaining := f.Times
	if remaining <= 0 {
		remaining = -1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &activeFault{f: f, remaining: remaining})
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Server) takeFaults(action, roleArn string) effects {
	s.mu.Lock()
	defer s.mu.Unlock()
	var fx effects
	kept := s.faults[:0]
	for _, af := range s.faults {
		f := af.f
		if (f.Action != "" && f.Action != action) || (f.RoleArn != "" && !strings.EqualFold(f.RoleArn, roleArn)) {
			kept = append(kept, af)
			continue
		}
		fx.merge(f)
		if af.remaining > 0 {
			af.remaining--
		}
		if af.remaining != 0 {
			kept = append(kept, af)
		}
	}
	// Clear the tail so dropped faults are not retained by the array.
	for i := len(kept); i < len(s.faults); i++ {
		s.faults[i] = nil
	}
	s.faults = kept
	return fx
}

func (fx *effects) merge(f Fault) {
	if f.Latency > 0 {
		fx.latency += f.Latency
		fx.names = append(fx.names, "latency")
	}
	if f.ResetConnection {
		fx.reset = true
		fx.names = append(fx.names, "reset")
	}
	if f.MalformedBody {
		fx.malformed = true
		fx.names = append(fx.names, "malformed")
	}
	if f.Status != 0 && fx.status == 0 {
		fx.status = f.Status
		fx.code = f.Code
		if !f.MalformedBody {
			if fx.code == "" {
				fx.code = defaultCodeForStatus(f.Status)
			}
			fx.message = f.Message
			if fx.message == "" {
				fx.message = defaultMessageForCode(fx.code)
			}
			fx.names = append(fx.names, "status "+http.StatusText(f.Status))
		}
	}
	if f.TruncateBody {
		fx.truncate = true
		fx.names = append(fx.names, "truncate")
	}
	if f.OmitExpiration {
		fx.omitExpiration = true
		fx.names = append(fx.names, "omit-expiration")
	}
	if f.TokenLifetime > 0 && fx.tokenLifetime == 0 {
		fx.tokenLifetime = f.TokenLifetime
		fx.names = append(fx.names, "token-lifetime "+f.TokenLifetime.String())
	}
}

func (fx effects) describe() string { return strings.Join(fx.names, ",") }
