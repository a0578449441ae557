package stsemu

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

const (
	apiVersion   = "2015-04-01"
	maxBodyBytes = 64 << 10
)

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == federationPath {
		s.handleFederation(w, r)
		return
	}
	if isSSOPath(r.URL.Path) {
		s.handleCloudSSO(w, r)
		return
	}
	if isOAuthPath(r.URL.Path) {
		s.handleOAuth(w, r)
		return
	}
	started := time.Now()
	rid := s.requestID()
	params, perr := readParams(r)
	call := Call{
		Time:            s.clock(),
		Action:          params["Action"],
		AccessKeyID:     params["AccessKeyId"],
		RoleArn:         params["RoleArn"],
		RoleSessionName: params["RoleSessionName"],
	}
	fx := s.takeFaults(call.Action, call.RoleArn)
	call.Fault = fx.describe()
	defer func() { s.logCall(call, time.Since(started)) }()

	if fx.hang {
		// Far longer than any client waits; ends with the client or server.
		fx.latency = 24 * time.Hour
	}
	if err := s.wait(r.Context(), fx.latency); err != nil {
		call.Canceled = true
		s.record(call)
		return
	}
	out := s.respond(r, params, perr, rid, fx, &call)
	// Record before answering: a test that checks Count right after its
	// client returns must see this call.
	s.record(call)
	if out.reset {
		resetConnection(w)
		return
	}
	if fx.hugeBody > 0 && out.status == http.StatusOK {
		writeHuge(w, rid, out.body, fx.hugeBody)
		return
	}
	writeRaw(w, rid, out.status, out.contentType, out.body)
}

// outcome is what the handler will send.
type outcome struct {
	reset       bool
	status      int
	contentType string
	body        []byte
}

func (s *Server) respond(r *http.Request, params map[string]string, perr *apiError, rid string, fx effects, call *Call) outcome {
	switch {
	case fx.reset:
		return outcome{reset: true}
	case fx.malformed:
		status := fx.status
		if status == 0 {
			status = http.StatusOK
		}
		call.Status = status
		return outcome{status: status, contentType: "text/html", body: []byte(malformedPage)}
	case fx.status != 0:
		e := newAPIError(fx.status, fx.code, fx.message)
		call.Status, call.Code = e.Status, e.Code
		return jsonOutcome(e.Status, e.body(rid), fx.truncate)
	}
	var resp any
	apiErr := perr
	if apiErr == nil {
		resp, apiErr = s.process(r.Method, r.URL.Path, params, rid, fx, call)
	}
	if apiErr != nil {
		call.Status, call.Code = apiErr.Status, apiErr.Code
		return jsonOutcome(apiErr.Status, apiErr.body(rid), fx.truncate)
	}
	call.Status = http.StatusOK
	// A response a client cannot use is not a success, even with 200.
	call.Success = !fx.truncate && !(fx.omitExpiration && call.Action == actionAssumeRole) && !fx.hostile()
	return jsonOutcome(http.StatusOK, resp, fx.truncate)
}

// process runs the checks in the order real STS applies them: routing,
// common parameters, authentication, then the action's own validation.
func (s *Server) process(method, path string, p map[string]string, rid string, fx effects, call *Call) (any, *apiError) {
	if method != http.MethodGet && method != http.MethodPost {
		return nil, newAPIError(http.StatusBadRequest, "UnsupportedHTTPMethod", "This http method is not supported.")
	}
	action := p["Action"]
	if path != "/" && path != "" {
		return nil, errAPINotFound()
	}
	if action == "" {
		return nil, errMissing("Action")
	}
	// RAM shares the gateway, signature scheme and keys; the API version
	// tells the two products apart.
	if p["Version"] == ramAPIVersion {
		return s.processRAM(method, p, rid, call)
	}
	if action != actionAssumeRole && action != actionGetCallerIdentity {
		return nil, errAPINotFound()
	}
	if p["Version"] == "" {
		return nil, errMissing("Version")
	}
	if p["Version"] != apiVersion {
		return nil, errInvalidParam("Version")
	}
	who, apiErr := s.authenticateCaller(method, p)
	if apiErr != nil {
		return nil, apiErr
	}
	call.CallerARN = who.arn
	switch action {
	case actionAssumeRole:
		return s.assumeRole(p, who, rid, fx)
	default:
		return getCallerIdentity(who, rid), nil
	}
}

func errAPINotFound() *apiError {
	return newAPIError(http.StatusNotFound, "InvalidAction.NotFound", "Specified api is not found, please check your url and method.")
}

// readParams merges query and form body. A name given twice is rejected:
// the signature covers one value per name, so a second one is ambiguous.
func readParams(r *http.Request) (map[string]string, *apiError) {
	params := map[string]string{}
	add := func(vals url.Values) *apiError {
		for k, vs := range vals {
			if _, dup := params[k]; dup || len(vs) > 1 {
				return newAPIError(http.StatusBadRequest, "InvalidParameter", "Parameter "+k+" is given more than once.")
			}
			params[k] = vs[0]
		}
		return nil
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return params, newAPIError(http.StatusBadRequest, "InvalidParameter", "The query string is malformed.")
	}
	if e := add(q); e != nil {
		return params, e
	}
	if r.Method != http.MethodPost {
		return params, nil
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/x-www-form-urlencoded" {
		return params, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return params, newAPIError(http.StatusBadRequest, "InvalidParameter", "The request body could not be read.")
	}
	if len(body) > maxBodyBytes {
		return params, newAPIError(http.StatusBadRequest, "InvalidParameter", "The request body is too large.")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return params, newAPIError(http.StatusBadRequest, "InvalidParameter", "The form body is malformed.")
	}
	return params, add(form)
}

func jsonOutcome(status int, v any, truncate bool) outcome {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"Code":"InternalError"}`)
	}
	if truncate {
		body = body[:len(body)/2]
	}
	return outcome{status: status, contentType: "application/json;charset=utf-8", body: body}
}

// writeHuge sends body padded to size bytes: a JSON member of spaces
// before the real answer's members, streamed so that the emulator holds no
// more than one chunk.
func writeHuge(w http.ResponseWriter, rid string, body []byte, size int64) {
	const head = `{"Padding":"`
	pad := size - int64(len(head)) - int64(len(body)) - 2
	if pad < 0 {
		pad = 0
	}
	h := w.Header()
	h.Set("Content-Type", "application/json;charset=utf-8")
	h.Set("Content-Length", strconv.FormatInt(int64(len(head))+pad+2+int64(len(body))-1, 10))
	h.Set("X-Acs-Request-Id", rid)
	w.WriteHeader(http.StatusOK)
	if _, err := io.WriteString(w, head); err != nil {
		return
	}
	chunk := bytes.Repeat([]byte{' '}, 64<<10)
	for left := pad; left > 0; {
		n := min(left, int64(len(chunk)))
		if _, err := w.Write(chunk[:n]); err != nil {
			return // the client stopped reading
		}
		left -= n
	}
	// `",` then the answer without its opening brace.
	_, _ = io.WriteString(w, `",`)
	_, _ = w.Write(body[1:])
}

func writeRaw(w http.ResponseWriter, rid string, status int, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Acs-Request-Id", rid)
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// resetConnection drops the TCP connection with an RST (SO_LINGER 0) so
// the client sees "connection reset by peer" rather than a clean EOF.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		// Cannot happen on our HTTP/1.1-only servers; an empty reply is
		// the closest harmless substitute.
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	raw := conn
	if nc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		raw = nc.NetConn()
	}
	if tcp, ok := raw.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = raw.Close()
}

func (s *Server) logCall(c Call, d time.Duration) {
	status := strconv.Itoa(c.Status)
	if c.Canceled {
		status = "canceled"
	}
	s.logf("%s sts-emulator action=%q ak=%q caller=%q role=%q session=%q status=%s code=%q fault=%q took=%s",
		c.Time.UTC().Format(time.RFC3339), c.Action, c.AccessKeyID, c.CallerARN, c.RoleArn,
		c.RoleSessionName, status, c.Code, c.Fault, d.Round(time.Millisecond))
}
