package platform

import (
	"context"
	"sync"
	"testing"
	"time"

	microerrors "go-micro.dev/v5/errors"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/shippy-suite/shippy/platform/rpcerr"
)

// refuserName is the service that serves Refuser.
const refuserName = "shippy.test.refuser"

// Refuser is a go-micro handler whose one method refuses every call with
// the rpcerr reason it is sent, and counts the calls by reason.
type Refuser struct {
	mu    sync.Mutex
	calls map[rpcerr.Reason]int
}

func (r *Refuser) Refuse(_ context.Context, req *wrapperspb.StringValue, _ *emptypb.Empty) error {
	reason := rpcerr.Reason(req.GetValue())
	r.mu.Lock()
	r.calls[reason]++
	r.mu.Unlock()
	return rpcerr.New(refuserName, reason, "refused with "+req.GetValue())
}

// TestReasonSurvivesTheWire sends every reason a server answers with
// through a real platform service and the platform's go-micro gRPC client,
// and finds it in the error the caller gets: the Status field the reason
// travels in, and what rpcerr.Classify reads from it. Only 503s are retried.
func TestReasonSurvivesTheWire(t *testing.T) {
	refuser := &Refuser{calls: make(map[rpcerr.Reason]int)}
	svc := startTelemetryService(t, refuserName, nil, nil, nil, nil, refuser)
	c := NewClient(svc.reg)

	reasons := []rpcerr.Reason{rpcerr.Invalid, rpcerr.Unauthenticated, rpcerr.Forbidden, rpcerr.NotFound, rpcerr.Timeout, rpcerr.Conflict, rpcerr.NoRoom, rpcerr.Internal, rpcerr.Unavailable}
	for _, reason := range reasons {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := c.Call(ctx, c.NewRequest(refuserName, "Refuser.Refuse", wrapperspb.String(string(reason))), &emptypb.Empty{})
		cancel()

		e, ok := microerrors.As(err)
		if !ok {
			t.Errorf("%s: call = %v (%T), want a go-micro error", reason, err, err)
			continue
		}
		got := [4]any{e.Id, e.Code, e.Detail, e.Status}
		want := [4]any{refuserName, reason.Code(), "refused with " + string(reason), string(reason)}
		if got != want {
			t.Errorf("%s: the caller got {Id, Code, Detail, Status} %v, want %v", reason, got, want)
		}
		if f := rpcerr.Classify(err); f.Reason != reason || f.Service != refuserName {
			t.Errorf("%s: Classify() = %+v, want reason %s from %s", reason, f, reason, refuserName)
		}
	}

	refuser.mu.Lock()
	defer refuser.mu.Unlock()
	for _, reason := range reasons {
		want := 1
		if reason == rpcerr.Unavailable {
			want = 1 + DefaultRetries
		}
		if got := refuser.calls[reason]; got != want {
			t.Errorf("%s: served %d times, want %d", reason, got, want)
		}
	}
}
