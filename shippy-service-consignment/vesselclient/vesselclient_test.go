package vesselclient_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go-micro.dev/v5/client"
	microerrors "go-micro.dev/v5/errors"
	"go-micro.dev/v5/metadata"

	"github.com/shippy-suite/shippy/platform/rpcerr"
	vesselpb "github.com/shippy-suite/shippy/proto/vessel"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/vesselclient"
)

// fakeVessels is a VesselService that answers each call with the next of
// its errs (nil: success) and records what it was called with. A
// successful BookBatch answers each item with item(its request), by
// default a booking on vessel001.
type fakeVessels struct {
	mu    sync.Mutex
	errs  []error
	calls int
	// hang makes a call block until its context ends, then fail as the
	// go-micro client does on a deadline.
	hang bool
	// gate, when set, makes each BookBatch wait for a value from it (or
	// its context), after it is recorded and started has been sent to.
	gate, started chan struct{}
	// item answers one item of a BookBatch.
	item func(*vesselpb.BookRequest) *vesselpb.BookResult
	// results, when set, replaces a BookBatch's results.
	results func([]*vesselpb.BookResult) []*vesselpb.BookResult

	batches      []*vesselpb.BookBatchRequest
	confirms     [][]string
	lastList     *vesselpb.ListExpiredHoldsRequest
	lastRelease  *vesselpb.ReleaseRequest
	lastDeadline time.Duration // time left on the call's context when it arrived
	lastRetries  int           // go-micro retries the call options asked for
	lastAuth     string        // the Authorization metadata of the call's context
	lastToken    bool          // whether it carried the tutorial's token key
}

// answer records one call and returns its result; record, which records
// the request, runs under f.mu.
func (f *fakeVessels) answer(ctx context.Context, opts []client.CallOption, record func()) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	record()
	f.lastDeadline = -1
	if d, ok := ctx.Deadline(); ok {
		f.lastDeadline = time.Until(d)
	}
	callOpts := client.CallOptions{Retries: 99}
	for _, o := range opts {
		o(&callOpts)
	}
	f.lastRetries = callOpts.Retries
	md, _ := metadata.FromContext(ctx)
	f.lastAuth = md["Authorization"]
	_, f.lastToken = md.Get("token")
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
	return err
}

func booking(in *vesselpb.BookRequest) *vesselpb.BookResult {
	return &vesselpb.BookResult{Booking: &vesselpb.Booking{
		ConsignmentId: in.GetConsignmentId(), VesselId: "vessel001", Containers: in.GetContainers(), Weight: in.GetWeight(),
	}}
}

func refusal(reason rpcerr.Reason, detail string) func(*vesselpb.BookRequest) *vesselpb.BookResult {
	return func(*vesselpb.BookRequest) *vesselpb.BookResult {
		return &vesselpb.BookResult{Error: &vesselpb.BookError{Reason: string(reason), Detail: detail}}
	}
}

func (f *fakeVessels) BookBatch(ctx context.Context, in *vesselpb.BookBatchRequest, opts ...client.CallOption) (*vesselpb.BookBatchResponse, error) {
	f.mu.Lock()
	gate, started := f.gate, f.started
	f.mu.Unlock()
	if err := f.answer(ctx, opts, func() { f.batches = append(f.batches, in) }); err != nil {
		return nil, err
	}
	if started != nil {
		started <- struct{}{}
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, microerrors.Timeout("go.micro.client", "%v", ctx.Err())
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	item := f.item
	if item == nil {
		item = booking
	}
	rsp := &vesselpb.BookBatchResponse{}
	for _, it := range in.GetItems() {
		rsp.Results = append(rsp.Results, item(it))
	}
	if f.results != nil {
		rsp.Results = f.results(rsp.Results)
	}
	return rsp, nil
}

func (f *fakeVessels) ConfirmBookings(ctx context.Context, in *vesselpb.ConfirmBookingsRequest, opts ...client.CallOption) (*vesselpb.ConfirmBookingsResponse, error) {
	if err := f.answer(ctx, opts, func() { f.confirms = append(f.confirms, slices.Clone(in.GetConsignmentIds())) }); err != nil {
		return nil, err
	}
	return &vesselpb.ConfirmBookingsResponse{Confirmed: int32(len(in.GetConsignmentIds()))}, nil
}

func (f *fakeVessels) ListExpiredHolds(ctx context.Context, in *vesselpb.ListExpiredHoldsRequest, opts ...client.CallOption) (*vesselpb.ListExpiredHoldsResponse, error) {
	if err := f.answer(ctx, opts, func() { f.lastList = in }); err != nil {
		return nil, err
	}
	return &vesselpb.ListExpiredHoldsResponse{Bookings: []*vesselpb.Booking{
		{ConsignmentId: "c-1", VesselId: "vessel001", Holder: in.GetHolder(), HeldUntilUnixMillis: 1},
		{ConsignmentId: "c-2", VesselId: "vessel002", Holder: in.GetHolder(), HeldUntilUnixMillis: 2},
	}}, nil
}

func (f *fakeVessels) ReleaseExpiredHold(ctx context.Context, in *vesselpb.ReleaseRequest, opts ...client.CallOption) (*vesselpb.ReleaseResponse, error) {
	if err := f.answer(ctx, opts, func() { f.lastRelease = in }); err != nil {
		return nil, err
	}
	return &vesselpb.ReleaseResponse{Released: in.GetConsignmentId() == "expired"}, nil
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
	errBadRequest  = microerrors.BadRequest(vesselID, "holder: required")
	errInternal    = microerrors.InternalServerError(vesselID, "internal error")
	errUnavailable = microerrors.New(vesselID, "draining", 503)
	errNoInstance  = microerrors.InternalServerError("go.micro.client", "service shippy.service.vessel: not found")
	errNoConn      = microerrors.InternalServerError("go.micro.client", "Error sending request: connection refused")
	errTimeout     = microerrors.Timeout("go.micro.client", "context deadline exceeded")
	errTransport   = errors.New("connection reset by peer")
)

// holder is the holder function of the clients of these tests.
func holder(context.Context) (string, error) { return "store-7", nil }

func newClient(t *testing.T, fake *fakeVessels, timeout time.Duration) *vesselclient.Client {
	t.Helper()
	c, err := vesselclient.New(fake, holder, nil, timeout, nil)
	if err != nil {
		t.Fatalf("New() = %v", err)
	}
	return c
}

// TestCalls runs each call of the Booker against a fake that answers with
// errs in turn.
func TestCalls(t *testing.T) {
	t.Parallel()
	book := func(c *vesselclient.Client) (any, error) { return c.Book(context.Background(), "c-1", 2, 1200) }
	release := func(c *vesselclient.Client) (any, error) { return nil, c.Release(context.Background(), "c-9") }
	releaseExpired := func(id string) func(c *vesselclient.Client) (any, error) {
		return func(c *vesselclient.Client) (any, error) { return c.ReleaseExpiredHold(context.Background(), id) }
	}
	confirm := func(c *vesselclient.Client) (any, error) {
		return nil, c.Confirm(context.Background(), []string{"c-1"})
	}
	expired := func(c *vesselclient.Client) (any, error) { return c.ExpiredHolds(context.Background(), 10) }
	tests := []struct {
		name         string
		call         func(*vesselclient.Client) (any, error)
		item         func(*vesselpb.BookRequest) *vesselpb.BookResult
		errs         []error
		want         any
		wantErr      error // a domain sentinel; nil with wantInternal
		wantInternal bool  // an error matching no domain sentinel
		wantCalls    int
	}{
		{name: "booked", call: book, want: "vessel001", wantCalls: 1},
		{name: "item: no room", call: book, item: refusal(rpcerr.NoRoom, "no vessel has room"), want: "", wantErr: consignment.ErrNoRoom, wantCalls: 1},
		{name: "item: conflict", call: book, item: refusal(rpcerr.Conflict, "booked with other sizes"), want: "", wantErr: consignment.ErrConflict, wantCalls: 1},
		{name: "item: hold ran out", call: book, item: refusal(rpcerr.Unavailable, "hold expired, being settled"), want: "", wantErr: consignment.ErrUnavailable, wantCalls: 1},
		{name: "item: invalid is internal", call: book, item: refusal(rpcerr.Invalid, "containers: must be positive"), want: "", wantInternal: true, wantCalls: 1},
		{name: "item: internal", call: book, item: refusal(rpcerr.Internal, "internal error"), want: "", wantInternal: true, wantCalls: 1},
		{name: "item: unknown reason is internal", call: book, item: refusal("ODD", "?"), want: "", wantInternal: true, wantCalls: 1},
		{name: "item: neither booking nor error", call: book, item: func(*vesselpb.BookRequest) *vesselpb.BookResult { return &vesselpb.BookResult{} }, want: "", wantInternal: true, wantCalls: 1},
		{name: "call: no room", call: book, errs: []error{errNoRoom}, want: "", wantErr: consignment.ErrNoRoom, wantCalls: 1},
		{name: "call: bad request is internal", call: book, errs: []error{errBadRequest}, want: "", wantInternal: true, wantCalls: 1},
		{name: "call: internal error is not retried", call: book, errs: []error{errInternal, nil}, want: "", wantInternal: true, wantCalls: 1},
		{name: "call: unavailable then booked", call: book, errs: []error{errUnavailable}, want: "vessel001", wantCalls: 2},
		{name: "call: no instance, no connection, then booked", call: book, errs: []error{errNoInstance, errNoConn}, want: "vessel001", wantCalls: 3},
		{name: "call: transport error then booked", call: book, errs: []error{errTransport}, want: "vessel001", wantCalls: 2},
		{name: "call: unavailable three times", call: book, errs: []error{errUnavailable, errUnavailable, errUnavailable, nil}, want: "", wantErr: consignment.ErrUnavailable, wantCalls: 3},
		{name: "call: timeout is unavailable", call: book, errs: []error{errTimeout, errTimeout, errTimeout}, want: "", wantErr: consignment.ErrUnavailable, wantCalls: 3},
		{name: "call: retry ends on a final error", call: book, errs: []error{errUnavailable, errNoRoom}, want: "", wantErr: consignment.ErrNoRoom, wantCalls: 2},
		{name: "released", call: release, wantCalls: 1},
		{name: "retried until released", call: release, errs: []error{errUnavailable, errNoConn}, wantCalls: 3},
		{name: "release unavailable", call: release, errs: []error{errNoInstance, errNoInstance, errNoInstance}, wantErr: consignment.ErrUnavailable, wantCalls: 3},
		{name: "release internal", call: release, errs: []error{errInternal}, wantInternal: true, wantCalls: 1},
		{name: "expired hold released", call: releaseExpired("expired"), want: true, wantCalls: 1},
		{name: "hold not released", call: releaseExpired("renewed"), want: false, wantCalls: 1},
		{name: "release expired hold retried", call: releaseExpired("expired"), errs: []error{errNoConn}, want: true, wantCalls: 2},
		{name: "release expired hold unavailable", call: releaseExpired("expired"), errs: []error{errTimeout, errTimeout, errTimeout}, want: false, wantErr: consignment.ErrUnavailable, wantCalls: 3},
		{name: "confirmed", call: confirm, wantCalls: 1},
		{name: "confirm retried", call: confirm, errs: []error{errUnavailable}, wantCalls: 2},
		{name: "confirm internal", call: confirm, errs: []error{errInternal}, wantInternal: true, wantCalls: 1},
		{name: "expired holds", call: expired, want: []string{"c-1", "c-2"}, wantCalls: 1},
		{name: "expired holds unavailable", call: expired, errs: []error{errNoInstance, errNoInstance, errNoInstance}, want: []string(nil), wantErr: consignment.ErrUnavailable, wantCalls: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := &fakeVessels{errs: tt.errs, item: tt.item}
			got, err := tt.call(newClient(t, fake, 0))
			checkErr(t, err, tt.wantErr, tt.wantInternal)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("result = %v, want %v", got, tt.want)
			}
			fake.mu.Lock()
			defer fake.mu.Unlock()
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
	c := newClient(t, fake, time.Second)
	if _, err := c.Book(context.Background(), "c-7", 3, 4500); err != nil {
		t.Fatalf("Book() = %v", err)
	}
	got := fake.batches[0]
	if got.GetHolder() != "store-7" || got.GetHoldMillis() != consignment.LeaseDuration.Milliseconds() || len(got.GetItems()) != 1 {
		t.Fatalf("BookBatchRequest = %v, want holder store-7, hold_millis %d, one item", got, consignment.LeaseDuration.Milliseconds())
	}
	if it := got.GetItems()[0]; it.GetConsignmentId() != "c-7" || it.GetContainers() != 3 || it.GetWeight() != 4500 {
		t.Errorf("item = %v, want consignment_id c-7, containers 3, weight 4500", it)
	}
	if fake.lastDeadline <= 0 || fake.lastDeadline > time.Second {
		t.Errorf("call had %v left on its deadline, want within (0, 1s]", fake.lastDeadline)
	}
}

// TestBooksShareBatches keeps a BookBatch in flight while Books arrive:
// they go together in the next call, each with its own outcome.
func TestBooksShareBatches(t *testing.T) {
	t.Parallel()
	fake := &fakeVessels{gate: make(chan struct{}), started: make(chan struct{}, 10)}
	fake.item = func(in *vesselpb.BookRequest) *vesselpb.BookResult {
		if in.GetWeight()%3 == 0 {
			return refusal(rpcerr.NoRoom, "no vessel has room")(in)
		}
		return booking(in)
	}
	c := newClient(t, fake, 0)
	first := make(chan error, 1)
	go func() { _, err := c.Book(t.Context(), "first", 1, 1); first <- err }()
	<-fake.started

	const n = 50
	got, errs := make([]string, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i], errs[i] = c.Book(t.Context(), fmt.Sprintf("c-%02d", i), 1, int32(i)) })
	}
	// Let the first batch go once every Book has queued behind it.
	deadline := time.Now().Add(10 * time.Second)
	for {
		fake.mu.Lock()
		calls := fake.calls
		fake.mu.Unlock()
		if calls != 1 || time.Now().After(deadline) {
			t.Fatalf("%d calls while the first is in flight, want 1", calls)
		}
		if queued := c.QueuedBooks(); queued == n {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(fake.gate)
	wg.Wait()
	if err := <-first; err != nil {
		t.Errorf("first Book() = %v", err)
	}
	for i := range n {
		if i%3 == 0 {
			if !errors.Is(errs[i], consignment.ErrNoRoom) || got[i] != "" {
				t.Errorf("Book(c-%02d) = %q, %v; want ErrNoRoom", i, got[i], errs[i])
			}
		} else if errs[i] != nil || got[i] != "vessel001" {
			t.Errorf("Book(c-%02d) = %q, %v; want vessel001", i, got[i], errs[i])
		}
	}
	if len(fake.batches) != 2 || len(fake.batches[1].GetItems()) != n {
		t.Errorf("%d BookBatch calls, want 2, the second with all %d Books", len(fake.batches), n)
	}
}

// TestBookReturnsOnItsContext: a Book queued behind a BookBatch in flight
// returns when its own context ends.
func TestBookReturnsOnItsContext(t *testing.T) {
	t.Parallel()
	fake := &fakeVessels{gate: make(chan struct{}), started: make(chan struct{}, 10)}
	defer close(fake.gate)
	c := newClient(t, fake, 0)
	go func() { _, _ = c.Book(t.Context(), "first", 1, 1) }()
	<-fake.started
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.Book(ctx, "c-1", 1, 1); !errors.Is(err, consignment.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Book() = %v, want ErrUnavailable with its context's error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Book() returned after %v, want soon after its 10ms deadline", d)
	}
}

func TestBookBadResults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		results func([]*vesselpb.BookResult) []*vesselpb.BookResult
	}{
		{name: "too few results", results: func(rs []*vesselpb.BookResult) []*vesselpb.BookResult { return rs[1:] }},
		{name: "booking of another consignment", results: func(rs []*vesselpb.BookResult) []*vesselpb.BookResult {
			rs[0].Booking.ConsignmentId = "other"
			return rs
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := newClient(t, &fakeVessels{results: tt.results}, 0)
			_, err := c.Book(t.Context(), "c-1", 1, 10)
			checkErr(t, err, nil, true)
		})
	}
}

func TestBookTimesOut(t *testing.T) {
	t.Parallel()
	fake := &fakeVessels{hang: true}
	c := newClient(t, fake, 100*time.Millisecond)
	start := time.Now()
	_, err := c.Book(context.Background(), "c-1", 1, 10)
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

// TestHolderReadUntilAnswered: the holder id is asked for until the store
// first answers, then kept.
func TestHolderReadUntilAnswered(t *testing.T) {
	t.Parallel()
	var (
		mu    sync.Mutex
		reads int
	)
	read := func(context.Context) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		reads++
		if reads == 1 {
			return "", fmt.Errorf("store: %w", consignment.ErrUnavailable)
		}
		return "store-1", nil
	}
	fake := &fakeVessels{}
	c, err := vesselclient.New(fake, read, nil, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Book(t.Context(), "c-1", 1, 1); !errors.Is(err, consignment.ErrUnavailable) {
		t.Errorf("Book() with the store down = %v, want ErrUnavailable", err)
	}
	for i := range 3 {
		if _, err := c.Book(t.Context(), fmt.Sprint("c-", i), 1, 1); err != nil {
			t.Errorf("Book() = %v", err)
		}
	}
	if _, err := c.ExpiredHolds(t.Context(), 5); err != nil {
		t.Errorf("ExpiredHolds() = %v", err)
	}
	if reads != 2 {
		t.Errorf("holder read %d times, want 2: until it answered", reads)
	}
	if got := fake.lastList.GetHolder(); got != "store-1" {
		t.Errorf("ListExpiredHolds holder = %q, want store-1", got)
	}
}

func TestConfirmSplits(t *testing.T) {
	t.Parallel()
	fake := &fakeVessels{}
	c := newClient(t, fake, 0)
	ids := make([]string, 2500)
	for i := range ids {
		ids[i] = fmt.Sprint("c-", i)
	}
	if err := c.Confirm(t.Context(), ids); err != nil {
		t.Fatalf("Confirm() = %v", err)
	}
	var sizes []int
	var all []string
	for _, batch := range fake.confirms {
		sizes = append(sizes, len(batch))
		all = append(all, batch...)
	}
	if !slices.Equal(sizes, []int{1000, 1000, 500}) || !slices.Equal(all, ids) {
		t.Errorf("ConfirmBookings calls of %v ids, want 1000, 1000, 500, every id once in order", sizes)
	}
}

func TestExpiredHoldsLimit(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ limit, want int32 }{{0, 1}, {1, 1}, {100, 100}, {5000, 1000}} {
		fake := &fakeVessels{}
		if _, err := newClient(t, fake, 0).ExpiredHolds(t.Context(), int(tt.limit)); err != nil {
			t.Fatalf("ExpiredHolds(%d) = %v", tt.limit, err)
		}
		if got := fake.lastList; got.GetLimit() != tt.want || got.GetHolder() != "store-7" {
			t.Errorf("ExpiredHolds(%d) asked %v, want limit %d, holder store-7", tt.limit, got, tt.want)
		}
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		vessels vesselclient.VesselService
		holder  func(context.Context) (string, error)
		timeout time.Duration
	}{
		{name: "no vessel service", holder: holder},
		{name: "no holder", vessels: &fakeVessels{}},
		{name: "negative timeout", vessels: &fakeVessels{}, holder: holder, timeout: -time.Second},
	}
	for _, tt := range tests {
		if _, err := vesselclient.New(tt.vessels, tt.holder, nil, tt.timeout, nil); err == nil {
			t.Errorf("New(%s) = nil error, want an error", tt.name)
		}
	}
}

// TestCredentials checks that every call carries the service's own token,
// never its caller's, and that a call fails without one when the
// credentials cannot be made.
func TestCredentials(t *testing.T) {
	t.Parallel()
	fake := &fakeVessels{}
	tokens := []string{"service-token"}
	var credErr error
	c, err := vesselclient.New(fake, holder, func() (string, error) { return tokens[0], credErr }, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The context of a handler serving a customer: their token in its
	// metadata, under both keys.
	caller := metadata.NewContext(context.Background(), metadata.Metadata{"Authorization": "Bearer customer", "Token": "customer"})
	for name, call := range map[string]func() error{
		"book":    func() error { _, err := c.Book(caller, "c-1", 2, 1200); return err },
		"confirm": func() error { return c.Confirm(caller, []string{"c-1"}) },
		"release": func() error { return c.Release(caller, "c-1") },
	} {
		if err := call(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		fake.mu.Lock()
		gotAuth, gotToken := fake.lastAuth, fake.lastToken
		fake.mu.Unlock()
		if gotAuth != "Bearer service-token" || gotToken {
			t.Errorf("%s carried Authorization %q (token key: %v); want the service's token alone", name, gotAuth, gotToken)
		}
	}
	credErr = errors.New("no key")
	calls := fake.calls
	if err := c.Release(caller, "c-2"); err == nil || !strings.Contains(err.Error(), "credentials") {
		t.Errorf("Release without credentials = %v; want an error naming them", err)
	}
	if fake.calls != calls {
		t.Error("a call was made without credentials")
	}
}
