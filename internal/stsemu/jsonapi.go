package stsemu

import (
	"net/http"
	"strings"
	"time"
)

// What the JSON endpoints beside STS (the CloudSSO portal, OAuth, the
// console federation) share: faults drawn per action, every call recorded
// before it is answered (a test that checks Count right after its client
// returns must see it), and the same JSON answers. Their error bodies
// differ and are the caller's.

// beginCall starts the record of one call of action and draws its faults.
func (s *Server) beginCall(action string) (Call, effects) {
	call := Call{Time: s.clock(), Action: action}
	fx := s.takeFaults(action, "")
	call.Fault = fx.describe()
	return call, fx
}

// playFaults plays the latency (or hang) and a connection reset of fx; true means
// the request is over (canceled meanwhile, or reset).
func (s *Server) playFaults(w http.ResponseWriter, r *http.Request, call *Call, fx effects) bool {
	if fx.hang {
		fx.latency = 24 * time.Hour // as in the STS handler
	}
	if err := s.wait(r.Context(), fx.latency); err != nil {
		call.Canceled = true
		s.record(*call)
		return true
	}
	if fx.reset {
		s.record(*call)
		resetConnection(w)
		return true
	}
	return false
}

// answerError records call as failed and writes body with status.
func (s *Server) answerError(w http.ResponseWriter, rid string, call *Call, status int, code string, body any) {
	call.Status, call.Code = status, code
	s.record(*call)
	out := jsonOutcome(status, body, false)
	writeRaw(w, rid, out.status, out.contentType, out.body)
}

// answerRedirect records call as done and sends the browser to location.
func (s *Server) answerRedirect(w http.ResponseWriter, call *Call, location string) {
	call.Status, call.Success = http.StatusFound, true
	s.record(*call)
	w.Header().Set("Location", location)
	w.WriteHeader(http.StatusFound)
}

// answerJSON records call and writes resp, cut short or padded to a huge
// body when the fault says so. A shaped answer (hostile) is no success.
func (s *Server) answerJSON(w http.ResponseWriter, rid string, call *Call, resp any, fx effects) {
	call.Status, call.Success = http.StatusOK, !fx.truncate && !fx.hostile()
	s.record(*call)
	out := jsonOutcome(http.StatusOK, resp, fx.truncate)
	if fx.hugeBody > 0 {
		writeHuge(w, rid, out.body, fx.hugeBody)
		return
	}
	writeRaw(w, rid, out.status, out.contentType, out.body)
}

// answerMalformed records call and answers with a gateway's HTML page
// (status fx.status, default 200), as the STS handler does.
func (s *Server) answerMalformed(w http.ResponseWriter, rid string, call *Call, fx effects) {
	status := fx.status
	if status == 0 {
		status = http.StatusOK
	}
	call.Status = status
	s.record(*call)
	writeRaw(w, rid, status, "text/html", []byte(malformedPage))
}

const malformedPage = "<html><body><h1>502 Bad Gateway</h1>Tengine</body></html>"

// shapeCredentials applies the answer-shaping faults (expiration,
// omit-expiration, empty-credentials, oversize-token) to the fields of a
// credentials answer, as assumeRoleResult does for AssumeRole.
func shapeCredentials(fx effects, akID, secret, token, exp *string) {
	if fx.omitExpiration {
		*exp = ""
	}
	if fx.expiration != "" {
		*exp = fx.expiration
	}
	if fx.emptyCreds {
		*akID, *secret, *token = "", "", ""
	}
	if fx.oversizeToken > 0 {
		*token += strings.Repeat("A", fx.oversizeToken)
	}
}

// shapeToken applies empty-credentials and oversize-token to an access
// token answer (the portal's /token, OAuth's /v1/token).
func shapeToken(fx effects, tokens ...*string) {
	for i, t := range tokens {
		if fx.emptyCreds {
			*t = ""
		}
		if fx.oversizeToken > 0 && i == 0 {
			*t += strings.Repeat("A", fx.oversizeToken)
		}
	}
}

// logCallSince logs call when the handler returns (deferred).
func (s *Server) logCallSince(call *Call, started time.Time) {
	s.logCall(*call, time.Since(started))
}
