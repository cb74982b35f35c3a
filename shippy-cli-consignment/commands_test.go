package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"go-micro.dev/v5/client"
	microerrors "go-micro.dev/v5/errors"
	"google.golang.org/protobuf/proto"

	"github.com/shippy-suite/shippy/domain/consignment"
	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
)

// fakeService is a consignment service in memory. Each call first fails
// with the next of errs, if any. Then CreateConsignment books every
// consignment on vessel001 (a known id gets the stored one back), or fails
// with createErr; GetConsignments pages through stored pageSize at a time
// (every one when pageSize is 0), or fails with getErr.
type fakeService struct {
	errs      []error
	createErr error
	getErr    error
	pageSize  int

	mu        sync.Mutex
	stored    []*consignmentpb.Consignment
	cancelled map[string]*consignmentpb.Consignment // by id
	creates   []*consignmentpb.Consignment          // every create request, in order
	gets      []*consignmentpb.GetRequest           // every get request, in order
	deadline  []time.Duration                       // time left to each call's deadline
}

var _ shippingService = (*fakeService)(nil)

func (f *fakeService) CreateConsignment(ctx context.Context, in *consignmentpb.Consignment, _ ...client.CallOption) (*consignmentpb.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.creates = append(f.creates, proto.Clone(in).(*consignmentpb.Consignment))
	if err := f.called(ctx, f.createErr); err != nil {
		return nil, err
	}
	for _, c := range f.stored {
		if c.GetId() == in.GetId() {
			return &consignmentpb.Response{Created: true, Consignment: c}, nil
		}
	}
	booked := proto.Clone(in).(*consignmentpb.Consignment)
	booked.VesselId = "vessel001"
	f.stored = append(f.stored, booked)
	return &consignmentpb.Response{Created: true, Consignment: booked}, nil
}

func (f *fakeService) GetConsignments(ctx context.Context, in *consignmentpb.GetRequest, _ ...client.CallOption) (*consignmentpb.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.gets = append(f.gets, proto.Clone(in).(*consignmentpb.GetRequest))
	if err := f.called(ctx, f.getErr); err != nil {
		return nil, err
	}
	if f.pageSize == 0 {
		return &consignmentpb.Response{Consignments: f.stored}, nil
	}
	start := 0
	if in.GetPageToken() != "" {
		var err error
		if start, err = strconv.Atoi(in.GetPageToken()); err != nil {
			return nil, microerrors.BadRequest(consignmentpb.ServiceName, "bad page token")
		}
	}
	end := min(start+f.pageSize, len(f.stored))
	rsp := &consignmentpb.Response{Consignments: f.stored[start:end]}
	if end < len(f.stored) {
		rsp.NextPageToken = strconv.Itoa(end)
	}
	return rsp, nil
}

// CancelConsignment removes the stored consignment with the id, answering
// with it; a repeat answers the same. An unknown id is NOT_FOUND.
func (f *fakeService) CancelConsignment(ctx context.Context, in *consignmentpb.CancelRequest, _ ...client.CallOption) (*consignmentpb.CancelResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.called(ctx, nil); err != nil {
		return nil, err
	}
	if c, ok := f.cancelled[in.GetId()]; ok {
		return &consignmentpb.CancelResponse{Consignment: c}, nil
	}
	for i, c := range f.stored {
		if c.GetId() == in.GetId() {
			f.stored = slices.Delete(f.stored, i, i+1)
			if f.cancelled == nil {
				f.cancelled = make(map[string]*consignmentpb.Consignment)
			}
			f.cancelled[c.GetId()] = c
			return &consignmentpb.CancelResponse{Consignment: c}, nil
		}
	}
	return nil, microerrors.NotFound(consignmentpb.ServiceName, "consignment not found")
}

// called records the deadline of a call and returns the error it fails
// with: the next of errs, if one is left and not nil, else methodErr (nil:
// the call goes on). f.mu must be held.
func (f *fakeService) called(ctx context.Context, methodErr error) error {
	if d, ok := ctx.Deadline(); ok {
		f.deadline = append(f.deadline, time.Until(d))
	} else {
		f.deadline = append(f.deadline, 0)
	}
	if len(f.errs) > 0 {
		err := f.errs[0]
		f.errs = f.errs[1:]
		if err != nil {
			return err
		}
	}
	return methodErr
}

// newCommands returns commands that call svc and write to the returned
// buffer.
func newCommands(svc shippingService, asJSON bool) (*commands, *bytes.Buffer) {
	var out bytes.Buffer
	return &commands{svc: svc, out: &out, asJSON: asJSON, timeout: 10 * time.Second, registry: "MICRO_REGISTRY=mdns"}, &out
}

// storedConsignment returns a booked consignment numbered n.
func storedConsignment(n int) *consignmentpb.Consignment {
	return &consignmentpb.Consignment{
		Id:          fmt.Sprintf("c%d", n),
		Description: fmt.Sprintf("consignment %d", n),
		Weight:      int32(1000 * n),
		Containers:  []*consignmentpb.Container{{Id: "k", CustomerId: "cust", Origin: "Derby", UserId: "u"}},
		VesselId:    "vessel001",
	}
}

func TestCreate(t *testing.T) {
	t.Parallel()
	withID := tutorialConsignment()
	withID.ID = "my-id"

	tests := []struct {
		name     string
		json     bool
		in       consignment.Consignment
		wantOut  string // with ID for the id sent
		wantSent func(id string) *consignmentpb.Consignment
	}{
		{
			name:    "human",
			in:      tutorialConsignment(),
			wantOut: "Created consignment ID: 3 containers, 55000 kg, booked on vessel vessel001\n",
		},
		{
			name: "json",
			json: true,
			in:   tutorialConsignment(),
			wantOut: `{"id":"ID","description":"This is a test consignment","weight":55000,"containers":[` +
				`{"id":"","customer_id":"cust001","origin":"Manchester, United Kingdom","user_id":"user001"},` +
				`{"id":"","customer_id":"cust002","origin":"Derby, United Kingdom","user_id":"user001"},` +
				`{"id":"","customer_id":"cust005","origin":"Sheffield, United Kingdom","user_id":"user001"}],` +
				`"vessel_id":"vessel001","owner_id":""}` + "\n",
		},
		{
			name:    "id kept",
			in:      withID,
			wantOut: "Created consignment my-id: 3 containers, 55000 kg, booked on vessel vessel001\n",
		},
		{
			name: "one container",
			in: consignment.Consignment{ID: "x", Weight: 5, Containers: []consignment.Container{
				{CustomerID: "c", Origin: "o"},
			}},
			wantOut: "Created consignment x: 1 container, 5 kg, booked on vessel vessel001\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc := &fakeService{}
			cmd, out := newCommands(svc, tt.json)
			if err := cmd.create(t.Context(), "f.json", tt.in); err != nil {
				t.Fatalf("create: %v", err)
			}
			if len(svc.creates) != 1 {
				t.Fatalf("got %d create calls, want 1", len(svc.creates))
			}
			sent := svc.creates[0]
			if tt.in.ID != "" {
				if sent.GetId() != tt.in.ID {
					t.Errorf("sent id %q, want the file's %q", sent.GetId(), tt.in.ID)
				}
			} else if _, err := uuid.Parse(sent.GetId()); err != nil {
				t.Errorf("sent id %q, want a new UUID: %v", sent.GetId(), err)
			}
			want := toProto(tt.in)
			want.Id = sent.GetId()
			if !proto.Equal(sent, want) {
				t.Errorf("sent %v, want %v", sent, want)
			}
			if got, want := out.String(), strings.ReplaceAll(tt.wantOut, "ID", sent.GetId()); got != want {
				t.Errorf("output:\ngot  %q\nwant %q", got, want)
			}
		})
	}
}

func TestCreateGivesEveryConsignmentItsOwnID(t *testing.T) {
	t.Parallel()
	svc := &fakeService{}
	cmd, _ := newCommands(svc, false)
	for range 2 {
		if err := cmd.create(t.Context(), "f.json", tutorialConsignment()); err != nil {
			t.Fatalf("create: %v", err)
		}
	}
	if a, b := svc.creates[0].GetId(), svc.creates[1].GetId(); a == b {
		t.Errorf("two creates sent the same id %q", a)
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	stored := func(n int) []*consignmentpb.Consignment {
		var cs []*consignmentpb.Consignment
		for i := 1; i <= n; i++ {
			cs = append(cs, storedConsignment(i))
		}
		return cs
	}
	long := storedConsignment(3)
	long.Description = "a\tdescription\nthat goes on " + strings.Repeat("and on ", 20)

	tests := []struct {
		name      string
		svc       *fakeService
		json      bool
		want      string
		wantPages int
	}{
		{
			name: "human",
			svc:  &fakeService{stored: append(stored(2), long)},
			want: "Consignments (3):\n" +
				"ID  VESSEL     CONTAINERS  WEIGHT (KG)  DESCRIPTION\n" +
				"c1  vessel001  1           1000         consignment 1\n" +
				"c2  vessel001  1           2000         consignment 2\n" +
				"c3  vessel001  1           3000         a description that goes on and on and on and on and on an...\n",
			wantPages: 1,
		},
		{
			name:      "human, none",
			svc:       &fakeService{},
			want:      "Consignments (0):\n",
			wantPages: 1,
		},
		{
			name: "json",
			svc:  &fakeService{stored: stored(2)},
			json: true,
			want: `[{"id":"c1","description":"consignment 1","weight":1000,"containers":[{"id":"k","customer_id":"cust","origin":"Derby","user_id":"u"}],"vessel_id":"vessel001","owner_id":""},` +
				`{"id":"c2","description":"consignment 2","weight":2000,"containers":[{"id":"k","customer_id":"cust","origin":"Derby","user_id":"u"}],"vessel_id":"vessel001","owner_id":""}]` + "\n",
			wantPages: 1,
		},
		{
			name:      "json, none",
			svc:       &fakeService{},
			json:      true,
			want:      "[]\n",
			wantPages: 1,
		},
		{
			name:      "json, every field present",
			svc:       &fakeService{stored: []*consignmentpb.Consignment{{Id: "bare"}}},
			json:      true,
			want:      `[{"id":"bare","description":"","weight":0,"containers":[],"vessel_id":"","owner_id":""}]` + "\n",
			wantPages: 1,
		},
		{
			name: "paged",
			svc:  &fakeService{stored: stored(5), pageSize: 2},
			want: "Consignments (5):\n" +
				"ID  VESSEL     CONTAINERS  WEIGHT (KG)  DESCRIPTION\n" +
				"c1  vessel001  1           1000         consignment 1\n" +
				"c2  vessel001  1           2000         consignment 2\n" +
				"c3  vessel001  1           3000         consignment 3\n" +
				"c4  vessel001  1           4000         consignment 4\n" +
				"c5  vessel001  1           5000         consignment 5\n",
			wantPages: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd, out := newCommands(tt.svc, tt.json)
			if err := cmd.list(t.Context()); err != nil {
				t.Fatalf("list: %v", err)
			}
			if got := out.String(); got != tt.want {
				t.Errorf("output:\ngot\n%s\nwant\n%s", got, tt.want)
			}
			if got := len(tt.svc.gets); got != tt.wantPages {
				t.Errorf("got %d GetConsignments calls, want %d", got, tt.wantPages)
			}
			token := ""
			for i, req := range tt.svc.gets {
				if req.GetLimit() != pageSize || req.GetPageToken() != token {
					t.Errorf("request %d = {limit %d, page_token %q}, want {limit %d, page_token %q}",
						i, req.GetLimit(), req.GetPageToken(), pageSize, token)
				}
				token = strconv.Itoa((i + 1) * tt.svc.pageSize)
			}
		})
	}
}

// loopingService answers every GetConsignments with the same page token.
type loopingService struct{ fakeService }

func (s *loopingService) GetConsignments(context.Context, *consignmentpb.GetRequest, ...client.CallOption) (*consignmentpb.Response, error) {
	return &consignmentpb.Response{NextPageToken: "again"}, nil
}

func TestCancel(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name     string
		asJSON   bool
		id       string
		want     string
		wantCode int
		wantErr  string
	}{
		{name: "human", id: "c1", want: "Cancelled consignment c1: 1 container, 1000 kg, released from vessel vessel001\n"},
		{name: "json", asJSON: true, id: "c1",
			want: `{"id":"c1","description":"consignment 1","weight":1000,"containers":[{"id":"k","customer_id":"cust","origin":"Derby","user_id":"u"}],"vessel_id":"vessel001","owner_id":""}` + "\n"},
		{name: "not found", id: "c9", wantCode: exitBadInput, wantErr: `no consignment of yours has id "c9"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			svc := &fakeService{stored: []*consignmentpb.Consignment{storedConsignment(1), storedConsignment(2)}}
			cmd, out := newCommands(svc, tt.asJSON)
			for range 2 { // a repeat answers the same
				out.Reset()
				err := cmd.cancel(t.Context(), tt.id)
				if tt.wantErr != "" {
					if err == nil || err.Error() != tt.wantErr || exitCode(err) != tt.wantCode {
						t.Fatalf("cancel(%s) = %v (exit %d), want %q (exit %d)", tt.id, err, exitCode(err), tt.wantErr, tt.wantCode)
					}
					continue
				}
				if err != nil {
					t.Fatalf("cancel(%s) = %v", tt.id, err)
				}
				if got := out.String(); got != tt.want {
					t.Errorf("output:\ngot  %q\nwant %q", got, tt.want)
				}
			}
			if got := len(svc.stored); got != 1 && tt.wantErr == "" {
				t.Errorf("%d consignments left, want 1", got)
			}
		})
	}
}

func TestListStopsOnARepeatedPageToken(t *testing.T) {
	t.Parallel()
	cmd, _ := newCommands(&loopingService{}, false)
	err := cmd.list(t.Context())
	if want := `shippy.service.consignment returned page token "again" again`; err == nil || err.Error() != want {
		t.Errorf("list error = %v, want %s", err, want)
	}
}

func TestRunCreatesThenLists(t *testing.T) {
	t.Parallel()
	for _, asJSON := range []bool{false, true} {
		t.Run(fmt.Sprintf("json=%v", asJSON), func(t *testing.T) {
			t.Parallel()
			svc := &fakeService{stored: []*consignmentpb.Consignment{storedConsignment(1)}}
			cmd, out := newCommands(svc, asJSON)
			opts := options{create: true, list: true, file: "f.json", asJSON: asJSON, timeout: time.Second}
			in := tutorialConsignment()
			in.ID = "new"
			if err := cmd.run(t.Context(), opts, in); err != nil {
				t.Fatalf("run: %v", err)
			}
			lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			var want []string
			if asJSON {
				want = []string{`{"id":"new",`, `[{"id":"c1",`}
			} else {
				want = []string{"Created consignment new:", "Consignments (2):", "ID ", "c1 ", "new "}
			}
			if len(lines) != len(want) {
				t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(want), out)
			}
			for i := range want {
				if !strings.HasPrefix(lines[i], want[i]) {
					t.Errorf("line %d = %q, want it to start with %q", i, lines[i], want[i])
				}
			}
		})
	}
}

func TestServiceErrors(t *testing.T) {
	t.Parallel()
	const name = consignmentpb.ServiceName
	// The errors the service and the go-micro client report.
	var (
		notRegistered = microerrors.InternalServerError("go.micro.client", "service %s: not found", name)
		refused       = microerrors.New("go.micro.client",
			`connection error: desc = "transport: Error while dialing: dial tcp 10.0.0.7:41234: connect: connection refused"`, 503)
		dialFailed = microerrors.InternalServerError("go.micro.client",
			"Error sending request: dial tcp 10.0.0.7:41234: connect: connection refused")
		registryDown = microerrors.InternalServerError("go.micro.client",
			`error selecting %s node: Get "http://127.0.0.1:8500/v1/health/service/%s": connection refused`, name, name)
		draining   = microerrors.New(name, "shutting down", 503)
		timeout    = microerrors.Timeout("go.micro.client", "context deadline exceeded")
		badRequest = microerrors.BadRequest(name, "containers[0].origin: required")
		noRoom     = microerrors.New(name, "no vessel has room for the consignment", 412)
		conflict   = microerrors.Conflict(name, "consignment id already used by a different consignment")
		internal   = microerrors.InternalServerError(name, "internal error")
	)
	type errorCase struct {
		name     string
		err      error
		wantCode int
		want     string
	}
	common := []errorCase{
		{"not registered", notRegistered, exitUnreachable,
			name + " is unreachable via MICRO_REGISTRY=mdns: no instance is registered; is it running?"},
		{"connection refused", refused, exitUnreachable,
			name + " is unreachable via MICRO_REGISTRY=mdns: connection refused; is it running?"},
		{"dial failed", dialFailed, exitUnreachable,
			name + " is unreachable via MICRO_REGISTRY=mdns: connection refused; is it running?"},
		{"registry down", registryDown, exitUnreachable,
			name + ` is unreachable: looking it up via MICRO_REGISTRY=mdns failed: Get "http://127.0.0.1:8500/v1/health/service/` +
				name + `": connection refused; is the registry running?`},
		{"service unavailable", draining, exitUnreachable, name + " is unavailable: shutting down"},
		{"timeout", timeout, exitTimeout, name + " did not answer within 10s"},
		{"deadline", context.DeadlineExceeded, exitTimeout, name + " did not answer within 10s"},
		{"internal", internal, exitFailure, name + " failed: internal error (500 Internal Server Error)"},
		{"not a go-micro error", errors.New("boom"), exitFailure, "call " + name + ": boom"},
	}
	// Errors about the consignment sent: create explains them, list
	// reports them as they come.
	listOnly := []errorCase{
		{"bad request", badRequest, exitFailure, name + " failed: containers[0].origin: required (400 Bad Request)"},
		{"no room", noRoom, exitFailure, name + " failed: no vessel has room for the consignment (412 Precondition Failed)"},
	}
	createOnly := []errorCase{
		{"bad request", badRequest, exitBadInput, "f.json: rejected by " + name + ": containers[0].origin: required"},
		{"no room", noRoom, exitNoRoom, "no vessel has room for 3 containers weighing 55000 kg"},
		{"conflict", conflict, exitBadInput, `f.json: id "c-7" is already used by a different consignment`},
	}

	for _, tt := range slices.Concat(common, listOnly) {
		t.Run("list "+tt.name, func(t *testing.T) {
			t.Parallel()
			cmd, out := newCommands(&fakeService{getErr: tt.err}, false)
			checkError(t, cmd.list(t.Context()), tt.wantCode, tt.want)
			if out.Len() > 0 {
				t.Errorf("list printed %q on failure", out)
			}
		})
	}
	for _, tt := range slices.Concat(common, createOnly) {
		t.Run("create "+tt.name, func(t *testing.T) {
			t.Parallel()
			svc := &fakeService{createErr: tt.err}
			cmd, out := newCommands(svc, false)
			in := tutorialConsignment()
			in.ID = "c-7"
			opts := options{create: true, list: true, file: "f.json", timeout: time.Second}
			checkError(t, cmd.run(t.Context(), opts, in), tt.wantCode, tt.want)
			if out.Len() > 0 {
				t.Errorf("create printed %q on failure", out)
			}
			if len(svc.gets) > 0 {
				t.Errorf("listed after a failed create")
			}
		})
	}
}

func TestCallsRetryWhileTheServiceIsNotRegistered(t *testing.T) {
	t.Parallel()
	notRegistered := microerrors.InternalServerError("go.micro.client", "service %s: not found", consignmentpb.ServiceName)
	internal := microerrors.InternalServerError(consignmentpb.ServiceName, "internal error")

	t.Run("found on the last attempt", func(t *testing.T) {
		t.Parallel()
		svc := &fakeService{errs: []error{notRegistered, notRegistered}}
		cmd, out := newCommands(svc, false)
		if err := cmd.create(t.Context(), "f.json", tutorialConsignment()); err != nil {
			t.Fatalf("create: %v", err)
		}
		if got := len(svc.creates); got != lookupAttempts {
			t.Errorf("got %d create calls, want %d", got, lookupAttempts)
		}
		if a, b := svc.creates[0].GetId(), svc.creates[len(svc.creates)-1].GetId(); a != b {
			t.Errorf("the retry sent id %q, the first attempt %q; want the same", b, a)
		}
		if !strings.HasPrefix(out.String(), "Created consignment ") {
			t.Errorf("output = %q, want the created consignment", out)
		}
	})

	t.Run("never found", func(t *testing.T) {
		t.Parallel()
		svc := &fakeService{getErr: notRegistered}
		cmd, _ := newCommands(svc, false)
		if err := cmd.list(t.Context()); exitCode(err) != exitUnreachable {
			t.Errorf("list error = %v (exit code %d), want exit code %d", err, exitCode(err), exitUnreachable)
		}
		if got := len(svc.gets); got != lookupAttempts {
			t.Errorf("got %d get calls, want %d", got, lookupAttempts)
		}
	})

	t.Run("other errors are final", func(t *testing.T) {
		t.Parallel()
		svc := &fakeService{errs: []error{internal}}
		cmd, _ := newCommands(svc, false)
		if err := cmd.list(t.Context()); err == nil {
			t.Error("list succeeded, want the internal error")
		}
		if got := len(svc.gets); got != 1 {
			t.Errorf("got %d get calls, want 1", got)
		}
	})

	t.Run("within the timeout", func(t *testing.T) {
		t.Parallel()
		svc := &fakeService{getErr: notRegistered}
		cmd, _ := newCommands(svc, false)
		cmd.timeout = lookupDelay / 2
		start := time.Now()
		if err := cmd.list(t.Context()); exitCode(err) != exitUnreachable {
			t.Errorf("list error = %v (exit code %d), want exit code %d", err, exitCode(err), exitUnreachable)
		}
		if elapsed := time.Since(start); elapsed > lookupDelay {
			t.Errorf("list took %v, longer than its %v timeout allows", elapsed, cmd.timeout)
		}
		if got := len(svc.gets); got != 1 {
			t.Errorf("got %d get calls, want 1", got)
		}
	})
}

// checkError fails t unless err has message want and exit code wantCode.
func checkError(t *testing.T, err error, wantCode int, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %q", want)
	}
	if got := err.Error(); got != want {
		t.Errorf("error:\ngot  %s\nwant %s", got, want)
	}
	if got := exitCode(err); got != wantCode {
		t.Errorf("exit code = %d, want %d", got, wantCode)
	}
}

// blockingService answers no call before its context is done, then fails
// the way the go-micro client does.
type blockingService struct{ fakeService }

func (s *blockingService) CreateConsignment(ctx context.Context, _ *consignmentpb.Consignment, _ ...client.CallOption) (*consignmentpb.Response, error) {
	<-ctx.Done()
	return nil, microerrors.Timeout("go.micro.client", "%v", ctx.Err())
}

func (s *blockingService) GetConsignments(ctx context.Context, _ *consignmentpb.GetRequest, _ ...client.CallOption) (*consignmentpb.Response, error) {
	<-ctx.Done()
	return nil, microerrors.Timeout("go.micro.client", "%v", ctx.Err())
}

func TestEachCallIsBoundedByTheTimeout(t *testing.T) {
	t.Parallel()
	svc := &fakeService{stored: []*consignmentpb.Consignment{storedConsignment(1), storedConsignment(2)}, pageSize: 1}
	cmd, _ := newCommands(svc, false)
	cmd.timeout = 42 * time.Second
	if err := cmd.run(t.Context(), options{create: true, list: true, file: "f.json"}, tutorialConsignment()); err != nil {
		t.Fatalf("run: %v", err)
	}
	if len(svc.deadline) != 4 { // a create and three pages
		t.Fatalf("got %d calls, want 4", len(svc.deadline))
	}
	for i, left := range svc.deadline {
		if left <= 41*time.Second || left > 42*time.Second {
			t.Errorf("call %d had %v to its deadline, want about 42s", i, left)
		}
	}

	cmd, _ = newCommands(&blockingService{}, false)
	cmd.timeout = 20 * time.Millisecond
	checkError(t, cmd.list(t.Context()), exitTimeout, consignmentpb.ServiceName+" did not answer within 20ms")
}

func TestInterrupted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(10*time.Millisecond, cancel)
	cmd, _ := newCommands(&blockingService{}, false)
	err := cmd.create(ctx, "f.json", tutorialConsignment())
	checkError(t, err, exitFailure, "interrupted: context canceled")
}
