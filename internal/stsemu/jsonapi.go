package stsemu

import (
	"net/http"
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

// playFaults plays the latency and a connection reset of fx; true means
// the request is over (canceled meanwhile, or reset).
func (s *Server) playFaults(w http.ResponseWriter, r *http.Request, call *Call, fx effects) bool {
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

// answerJSON records call and writes resp, cut short when the fault says so.
func (s *Server) answerJSON(w http.ResponseWriter, rid string, call *Call, resp any, truncate bool) {
	call.Status, call.Success = http.StatusOK, !truncate
	s.record(*call)
	out := jsonOutcome(http.StatusOK, resp, truncate)
	writeRaw(w, rid, out.status, out.contentType, out.body)
}

// logCallSince logs call when the handler returns (deferred).
func (s *Server) logCallSince(call *Call, started time.Time) {
	s.logCall(*call, time.Since(started))
}
