package stsemu

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
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

	// Hostile answers, for clients that must not trust what they get.
	// Hang accepts the request and never answers (until the client gives up
	// or the server closes).
	Hang bool
	// Expiration replaces Credentials.Expiration of a successful AssumeRole
	// answer with this text verbatim (e.g. "2099-01-01T00:00:00Z").
	Expiration string
	// EmptyCredentials blanks AccessKeyId, AccessKeySecret and
	// SecurityToken of a successful AssumeRole answer.
	EmptyCredentials bool
	// OversizeToken appends this many bytes to the SecurityToken of a
	// successful AssumeRole answer.
	OversizeToken int
	// HugeBody pads a successful answer to at least this many bytes
	// (streamed: the emulator does not hold it in memory).
	HugeBody int64
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
	hang           bool
	expiration     string
	emptyCreds     bool
	oversizeToken  int
	hugeBody       int64
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
	fx.mergeHostile(f)
}

func (fx *effects) mergeHostile(f Fault) {
	if f.Hang {
		fx.hang = true
		fx.names = append(fx.names, "hang")
	}
	if f.Expiration != "" && fx.expiration == "" {
		fx.expiration = f.Expiration
		fx.names = append(fx.names, "expiration "+f.Expiration)
	}
	if f.EmptyCredentials {
		fx.emptyCreds = true
		fx.names = append(fx.names, "empty-credentials")
	}
	if f.OversizeToken > 0 {
		fx.oversizeToken += f.OversizeToken
		fx.names = append(fx.names, "oversize-token")
	}
	if f.HugeBody > fx.hugeBody {
		fx.hugeBody = f.HugeBody
		fx.names = append(fx.names, "huge-body")
	}
}

// hostile reports whether a successful answer was made unusable.
func (fx effects) hostile() bool {
	return fx.expiration != "" || fx.emptyCreds || fx.oversizeToken > 0 || fx.hugeBody > 0
}

func (fx effects) describe() string { return strings.Join(fx.names, ",") }

// EscapeMessage is an STS error message carrying terminal control
// sequences (retitle the window, clear the screen, colour), for the
// escape-message fault: a client must not write it raw to a terminal.
const EscapeMessage = "The request was denied.\x1b]0;pwned\a\x1b[2J\x1b[31m red text\x1b[0m"

// FaultSpecHelp documents ParseFault's syntax (shown by the dev command).
const FaultSpecHelp = "comma-separated KEY[=VALUE]: action=NAME, role=ARN, times=N (0: every request), " +
	"latency=DURATION, hang, reset, status=CODE (+ code=ERRORCODE), truncate, malformed, omit-expiration, " +
	"token-lifetime=DURATION, expiration=TIMESTAMP (e.g. 2099-01-01T00:00:00Z), empty-credentials, " +
	"oversize-token=SIZE, huge-body=SIZE (SIZE: bytes or with KiB/MiB/GiB), escape-message " +
	"(a 403 whose message holds terminal escape sequences); message=TEXT must come last and takes " +
	"the rest (Go escapes such as \\x1b are decoded). On CloudSSO.* and OAuth.* actions (e.g. " +
	"action=CloudSSO.CloudCredentials, action=OAuth.Exchange) latency, hang, reset, status, code, message, " +
	"escape-message, truncate, malformed and huge-body apply; expiration, omit-expiration, empty-credentials " +
	"and oversize-token shape the credentials of CloudSSO.CloudCredentials and OAuth.Exchange, and " +
	"empty-credentials and oversize-token the access token of CloudSSO.Token, OAuth.Token and OAuth.Refresh; " +
	"token-lifetime applies to STS only"

// ParseFault reads a fault from its command-line form (see FaultSpecHelp),
// e.g. "action=AssumeRole,times=2,status=503" or "huge-body=800MiB".
func ParseFault(spec string) (Fault, error) {
	var f Fault
	rest := strings.TrimSpace(spec)
	if rest == "" {
		return f, errors.New("empty fault: give at least one effect, e.g. status=503")
	}
	effects := 0
	for rest != "" {
		rest = strings.TrimLeft(rest, " ")
		var item string
		if strings.HasPrefix(rest, "message=") {
			item, rest = rest, ""
		} else {
			item, rest, _ = strings.Cut(rest, ",")
		}
		key, val, hasVal := strings.Cut(strings.TrimSpace(item), "=")
		need := func() error {
			if !hasVal || val == "" {
				return fmt.Errorf("fault %q: %s needs a value (%s=...)", spec, key, key)
			}
			return nil
		}
		var err error
		switch key {
		case "action":
			f.Action, err = val, need()
		case "role":
			f.RoleArn, err = val, need()
		case "times":
			if err = need(); err == nil {
				f.Times, err = strconv.Atoi(val)
			}
		case "latency":
			if err = need(); err == nil {
				f.Latency, err = time.ParseDuration(val)
			}
			effects++
		case "token-lifetime":
			if err = need(); err == nil {
				f.TokenLifetime, err = time.ParseDuration(val)
			}
			effects++
		case "status":
			if err = need(); err == nil {
				f.Status, err = strconv.Atoi(val)
				if err == nil && (f.Status < 400 || f.Status > 599) {
					err = errors.New("status must be 400-599")
				}
			}
			effects++
		case "code":
			f.Code, err = val, need()
		case "message":
			if err = need(); err == nil {
				f.Message = val
				if u, uerr := strconv.Unquote(`"` + strings.ReplaceAll(val, `"`, `\"`) + `"`); uerr == nil {
					f.Message = u
				}
			}
		case "escape-message":
			f.Status, f.Code, f.Message = http.StatusForbidden, "NoPermission", EscapeMessage
			effects++
		case "hang":
			f.Hang = true
			effects++
		case "reset":
			f.ResetConnection = true
			effects++
		case "truncate":
			f.TruncateBody = true
			effects++
		case "malformed":
			f.MalformedBody = true
			effects++
		case "omit-expiration":
			f.OmitExpiration = true
			effects++
		case "empty-credentials":
			f.EmptyCredentials = true
			effects++
		case "expiration":
			f.Expiration, err = val, need()
			effects++
		case "oversize-token":
			var n int64
			if err = need(); err == nil {
				n, err = parseSize(val)
				f.OversizeToken = int(n)
			}
			effects++
		case "huge-body":
			if err = need(); err == nil {
				f.HugeBody, err = parseSize(val)
			}
			effects++
		default:
			return f, fmt.Errorf("fault %q: unknown key %q (%s)", spec, key, FaultSpecHelp)
		}
		if err != nil {
			return f, fmt.Errorf("fault %q: %s: %w", spec, key, err)
		}
	}
	if effects == 0 {
		return f, fmt.Errorf("fault %q selects requests but has no effect: add one, e.g. status=503", spec)
	}
	return f, nil
}

// parseSize reads "1048576", "64KiB", "800MiB" or "1GiB".
func parseSize(v string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		m      int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if strings.HasSuffix(v, u.suffix) {
			v, mult = strings.TrimSuffix(v, u.suffix), u.m
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("bad size %q: want bytes, or a number with KiB, MiB or GiB", v)
	}
	return n * mult, nil
}
