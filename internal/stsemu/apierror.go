package stsemu

import (
	"net/http"
	"net/url"
)

// HostID is what real STS puts in the HostId field of error bodies.
const HostID = "sts.aliyuncs.com"

// apiError is an STS error response before it gets a RequestId.
type apiError struct {
	Status  int
	Code    string
	Message string
	// svc is the product answering; the zero value is STS.
	svc service
}

// service names the product in error bodies (HostId, Recommend link).
type service struct{ host, product string }

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

func newAPIError(status int, code, msg string) *apiError {
	return &apiError{Status: status, Code: code, Message: msg}
}

// errorBody is the exact JSON shape of STS errors; every field is a string.
type errorBody struct {
	RequestID string `json:"RequestId"`
	HostID    string `json:"HostId"`
	Code      string `json:"Code"`
	Message   string `json:"Message"`
	Recommend string `json:"Recommend"`
}

func (e *apiError) body(requestID string) errorBody {
	svc := e.svc
	if svc.host == "" {
		svc = service{host: HostID, product: "Sts"}
	}
	return errorBody{
		RequestID: requestID,
		HostID:    svc.host,
		Code:      e.Code,
		Message:   e.Message,
		Recommend: "https://api.aliyun.com/troubleshoot?q=" + url.QueryEscape(e.Code) +
			"&product=" + svc.product + "&requestId=" + url.QueryEscape(requestID),
	}
}

// Messages follow the wording of the Alibaba Cloud API gateway and STS.
func errMissing(name string) *apiError {
	return newAPIError(http.StatusBadRequest, "Missing"+name, name+" is mandatory for this action.")
}

func errInvalidParam(name string) *apiError {
	return newAPIError(http.StatusBadRequest, "Invalid"+name, "Specified parameter "+name+" is not valid.")
}

const noPermissionMessage = "You are not authorized to do this action. You should be authorized by RAM."

// defaultCodeForStatus picks the code real STS uses for a fault status when
// the fault names none.
func defaultCodeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "Throttling"
	case http.StatusForbidden:
		return "NoPermission"
	case http.StatusNotFound:
		return "InvalidAction.NotFound"
	case http.StatusServiceUnavailable:
		return "ServiceUnavailable"
	default:
		return "InternalError"
	}
}

func defaultMessageForCode(code string) string {
	switch code {
	case "Throttling", "Throttling.User":
		return "Request was denied due to user flow control."
	case "ServiceUnavailable":
		return "The request has failed due to a temporary failure of the server."
	case "InternalError":
		return "The request processing has failed due to some unknown error, exception or failure."
	default:
		return "Injected fault."
	}
}
