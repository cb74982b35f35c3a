package vesselclient_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go-micro.dev/v5/client"
	microerrors "go-micro.dev/v5/errors"

	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/vesselclient"
)

// fakeVessels is a VesselService that answers each call with the next of
// its errs (nil: success) and records what it was called with.
type fakeVessels struct {
	mu    sync.Mutex
	errs  []error
	calls int
	// hang makes a call block until its context ends, then fail as the
	// go-micro client does on a deadline.
	hang bool
	// noBooking makes a successful Book answer without a booking.
	noBooking bool

	lastBook     *vesselpb.BookRequest
	lastRelease  *vesselpb.ReleaseRequest
	lastDeadline time.Duration // time left on the call's context when it arrived
	lastRetries  int           // go-micro retries the call options asked for
}

// answer records one call and returns its result; record, which records
// the request, runs under f.mu when the call succeeds.
func (f *fakeVessels) answer(ctx context.Context, opts []client.CallOption, record func()) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.lastDeadline = -1
	if d, ok := ctx.Deadline(); ok {
		f.lastDeadline = time.Until(d)
	}
	callOpts := client.CallOptions{Retries: 99}
	for _, o := range opts {
		o(&callOpts)
	}
	f.lastRetries = callOpts.Retries
	if f.hang {
		f.mu.Unlock()
		<-ctx.Done()
		f.mu.Lock()
		return microerrors.Timeout("go.micro.client", "%v", ctx.Err())
	}
	var err error
	if len(f.errs) > 0 {
		err, f.errs = f.errs[0], f.errs[1:]
	}
	if err == nil {
		record()
	}
	return err
}

func (f *fakeVessels) Book(ctx context.Context, in *vesselpb.BookRequest, opts ...client.CallOption) (*vesselpb.BookResponse, error) {
	if err := f.answer(ctx, opts, func() { f.lastBook = in }); err != nil {
		return nil, err
	}
	if f.noBooking {
		return &vesselpb.BookResponse{}, nil
	}
	return &vesselpb.BookResponse{
		Booking: &vesselpb.Booking{ConsignmentId: in.GetConsignmentId(), VesselId: "vessel001", Containers: in.GetContainers(), Weight: in.GetWeight()},
		Vessel:  &vesselpb.Vessel{Id: "vessel001"},
	}, nil
}

func (f *fakeVessels) Release(ctx context.Context, in *vesselpb.ReleaseRequest, opts ...client.CallOption) (*vesselpb.ReleaseResponse, error) {
	if err := f.answer(ctx, opts, func() { f.lastRelease = in }); err != nil {
		return nil, err
	}
	return &vesselpb.ReleaseResponse{Released: true}, nil
}

const vesselID = vesselpb.ServiceName

var (
	errNoRoom      = microerrors.New(vesselID, "no vessel has room for 2 containers and 1200 kg", 412)
	errConflict    = microerrors.Conflict(vesselID, "consignment c-1 is booked with other sizes")
	errBadRequest  = microerrors.BadRequest(vesselID, "containers: must be positive")
	errInternal    = microerrors.InternalServerError(vesselID, "internal error")
	errUnavailable = microerrors.New(vesselID, "draining", 503)
	errNoInstance  = microerrors.InternalServerError("go.micro.client", "service shippy.service.vessel: not found")
	errNoConn      = microerrors.InternalServerError("go.micro.client", "Error sending request: connection refused")
	errTimeout     = microerrors.Timeout("go.micro.client", "context deadline exceeded")
	errTransport   = errors.New("connection reset by peer")
)

// TestCalls runs Book (or, with release set, Release) against a fake that
// answers with errs in turn.
func TestCalls(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		release      bool
		errs         []error
		wantVesselID string
		wantErr      error // a domain sentinel; nil with wantInternal
		wantInternal bool  // an error matching no domain sentinel
		wantCalls    int
	}{
		{name: "booked", wantVesselID: "vessel001", wantCalls: 1},
		{name: "no room", errs: []error{errNoRoom}, wantErr: consignment.ErrNoRoom, wantCalls: 1},
		{name: "conflict", errs: []error{errConflict}, wantErr: consignment.ErrConflict, wantCalls: 1},
		{name: "bad request is internal", errs: []error{errBadRequest}, wantInternal: true, wantCalls: 1},
		{name: "internal error is not retried", errs: []error{errInternal, nil}, wantInternal: true, wantCalls: 1},
		{name: "unavailable then booked", errs: []error{errUnavailable}, wantVesselID: "vessel001", wantCalls: 2},
		{name: "no instance, no connection, then booked", errs: []error{errNoInstance, errNoConn}, wantVesselID: "vessel001", wantCalls: 3},
		{name: "transport error then booked", errs: []error{errTransport}, wantVesselID: "vessel001", wantCalls: 2},
		{name: "unavailable three times", errs: []error{errUnavailable, errUnavailable, errUnavailable, nil}, wantErr: consignment.ErrUnavailable, wantCalls: 3},
		{name: "no instance three times", errs: []error{errNoInstance, errNoInstance, errNoInstance}, wantErr: consignment.ErrUnavailable, wantCalls: 3},
		{name: "timeout is unavailable", errs: []error{errTimeout, errTimeout, errTimeout}, wantErr: consignment.ErrUnavailable, wantCalls: 3},
		{name: "retry ends on a final error", errs: []error{errUnavailable, errNoRoom}, wantErr: consignment.ErrNoRoom, wantCalls: 2},
		{name: "released", release: true, wantCalls: 1},
		{name: "retried until released", release: true, errs: []error{errUnavailable, errNoConn}, wantCalls: 3},
		{name: "release unavailable", release: true, errs: []error{errNoInstance, errNoInstance, errNoInstance}, wantErr: consignment.ErrUnavailable, wantCalls: 3},
		{name: "release internal", release: true, errs: []error{errInternal}, wantInternal: true, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := &fakeVessels{errs: tt.errs}
			c, err := vesselclient.New(fake, 0)
			if err != nil {
				t.Fatalf("New() = %v", err)
			}
			var got string
			if tt.release {
				err = c.Release(context.Background(), "c-9")
				if err == nil && fake.lastRelease.GetConsignmentId() != "c-9" {
					t.Errorf("ReleaseRequest = %v, want consignment_id c-9", fake.lastRelease)
				}
			} else {
				got, err = c.Book(context.Background(), "c-1", 2, 1200)
			}
			checkErr(t, err, tt.wantErr, tt.wantInternal)
			if got != tt.wantVesselID {
				t.Errorf("Book() vessel = %q, want %q", got, tt.wantVesselID)
			}
			if fake.calls != tt.wantCalls {
				t.Errorf("vessel service called %d times, want %d", fake.calls, tt.wantCalls)
			}
			if fake.lastRetries != 0 {
				t.Errorf("call options ask go-micro for %d retries, want 0 (the client retries itself)", fake.lastRetries)
			}
			if fake.lastDeadline <= 0 || fake.lastDeadline > vesselclient.DefaultTimeout {
				t.Errorf("call had %v left on its deadline, want within (0, %v]", fake.lastDeadline, vesselclient.DefaultTimeout)
			}
		})
	}
}

// checkErr fails t unless err matches want, or, with internal, is an error
// that matches no domain sentinel.
func checkErr(t *testing.T, err, want error, internal bool) {
	t.Helper()
	switch {
	case internal:
		if err == nil {
			t.Fatal("got nil error, want an internal error")
		}
		for _, sentinel := range []error{consignment.ErrInvalid, consignment.ErrNoRoom, consignment.ErrConflict, consignment.ErrNotFound, consignment.ErrUnavailable} {
			if errors.Is(err, sentinel) {
				t.Errorf("got %v, want an internal error matching no domain error", err)
			}
		}
	case want == nil:
		if err != nil {
			t.Fatalf("got %v, want nil", err)
		}
	case !errors.Is(err, want):
		t.Errorf("got %v, want %v", err, want)
	}
}

func TestBookSendsTheRequest(t *testing.T) {
	t.Parallel()
	fake := &fakeVessels{}
	c, err := vesselclient.New(fake, time.Second)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	if _, err := c.Book(context.Background(), "c-7", 3, 4500); err != nil {
		t.Fatalf("Book() = %v", err)
	}
	got := fake.lastBook
	if got.GetConsignmentId() != "c-7" || got.GetContainers() != 3 || got.GetWeight() != 4500 {
		t.Errorf("BookRequest = %v, want consignment_id c-7, containers 3, weight 4500", got)
	}
	if fake.lastDeadline <= 0 || fake.lastDeadline > time.Second {
		t.Errorf("call had %v left on its deadline, want within (0, 1s]", fake.lastDeadline)
	}
}

func TestBookWithoutVesselID(t *testing.T) {
	t.Parallel()
	c, err := vesselclient.New(&fakeVessels{noBooking: true}, 0)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	_, err = c.Book(context.Background(), "c-1", 1, 10)
	checkErr(t, err, nil, true)
}

func TestBookTimesOut(t *testing.T) {
	t.Parallel()
	fake := &fakeVessels{hang: true}
	c, err := vesselclient.New(fake, 100*time.Millisecond)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	start := time.Now()
	_, err = c.Book(context.Background(), "c-1", 1, 10)
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("Book() took %v with a 100ms timeout", elapsed)
	}
	if !errors.Is(err, consignment.ErrUnavailable) {
		t.Errorf("Book() = %v, want ErrUnavailable", err)
	}
	if fake.calls != 1 {
		t.Errorf("vessel service called %d times, want 1 (no retry once the deadline is spent)", fake.calls)
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	if _, err := vesselclient.New(nil, 0); err == nil {
		t.Error("New(nil, 0) = nil error, want an error")
	}
	if _, err := vesselclient.New(&fakeVessels{}, -time.Second); err == nil {
		t.Error("New(fake, -1s) = nil error, want an error")
	}
}
