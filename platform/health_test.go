package platform

import (
	"bytes"
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go-micro.dev/v5/client"
	microerrors "go-micro.dev/v5/errors"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/mem"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/shippy-suite/shippy/testenv"
)

// TestService is a go-micro handler for grpc.testing.TestService, a service
// of grpc-go's interop protos: its name makes go-micro route that service's
// gRPC paths to it, and reflection describe it.
type TestService struct {
	started chan struct{} // if set, UnaryCall sends on it as it begins
	release chan struct{} // if set, UnaryCall waits for it to close
}

func (*TestService) EmptyCall(context.Context, *testpb.Empty, *testpb.Empty) error { return nil }

// UnaryCall echoes the request's payload.
func (h *TestService) UnaryCall(ctx context.Context, req *testpb.SimpleRequest, rsp *testpb.SimpleResponse) error {
	if h.started != nil {
		h.started <- struct{}{}
	}
	if h.release != nil {
		select {
		case <-h.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	rsp.Payload = req.GetPayload()
	return nil
}

// startService runs a service named name with handler h on a memory
// registry (no mDNS), with a SHUTDOWN_TIMEOUT of 10 s. setup, if given,
// runs before Run. The service stops when the test ends, if the test did
// not stop it.
func startService(t *testing.T, name string, h *TestService, setup func(*Service)) *running {
	t.Helper()
	return startServiceWith(t, name, serviceOptions{
		env: map[string]string{EnvShutdownTimeout: "10s"}, setup: setup, handlers: []any{h},
	})
}

// unaryCall starts a UnaryCall to r over its plain gRPC connection, and
// returns the channel its result arrives on.
func (r *running) unaryCall() <-chan error {
	result := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := testpb.NewTestServiceClient(r.conn).UnaryCall(ctx, &testpb.SimpleRequest{})
		result <- err
	}()
	return result
}

// health is the service's health as a grpc_health_probe sees it.
func (r *running) health(t *testing.T, service string) healthpb.HealthCheckResponse_ServingStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rsp, err := healthpb.NewHealthClient(r.conn).Check(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		t.Fatalf("health Check(%q): %v", service, err)
	}
	return rsp.GetStatus()
}

// waitHealth waits until the service reports want, overall and by name.
func (r *running) waitHealth(t *testing.T, want healthpb.HealthCheckResponse_ServingStatus) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		overall, named := r.health(t, ""), r.health(t, r.name)
		if overall == want && named == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("health: overall %s, %s %s; want %s for both", overall, r.name, named, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStandardServices(t *testing.T) {
	const name = "shippy.test.standard"
	r := startService(t, name, &TestService{}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	t.Run("health", func(t *testing.T) {
		for _, service := range []string{"", name} {
			if got := r.health(t, service); got != healthpb.HealthCheckResponse_SERVING {
				t.Errorf("health Check(%q) = %s, want SERVING", service, got)
			}
		}
		_, err := healthpb.NewHealthClient(r.conn).Check(ctx, &healthpb.HealthCheckRequest{Service: "no.such.Service"})
		if got := status.Code(err); got != codes.NotFound {
			t.Errorf("health Check(unknown service) code = %s, want NotFound (err %v)", got, err)
		}
	})

	t.Run("reflection lists and describes the services", func(t *testing.T) {
		stream, err := reflectionpb.NewServerReflectionClient(r.conn).ServerReflectionInfo(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer stream.CloseSend()
		ask := func(req *reflectionpb.ServerReflectionRequest) *reflectionpb.ServerReflectionResponse {
			t.Helper()
			if err := stream.Send(req); err != nil {
				t.Fatal(err)
			}
			rsp, err := stream.Recv()
			if err != nil {
				t.Fatal(err)
			}
			return rsp
		}

		rsp := ask(&reflectionpb.ServerReflectionRequest{
			MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{},
		})
		var got []string
		for _, s := range rsp.GetListServicesResponse().GetService() {
			got = append(got, s.GetName())
		}
		want := []string{
			"grpc.health.v1.Health",
			"grpc.reflection.v1.ServerReflection",
			"grpc.reflection.v1alpha.ServerReflection",
			"grpc.testing.TestService", // the go-micro handler
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("reflection lists %v, want %v", got, want)
		}

		rsp = ask(&reflectionpb.ServerReflectionRequest{
			MessageRequest: &reflectionpb.ServerReflectionRequest_FileContainingSymbol{
				FileContainingSymbol: "grpc.testing.TestService",
			},
		})
		if e := rsp.GetErrorResponse(); e != nil {
			t.Fatalf("describe grpc.testing.TestService: %s", e.GetErrorMessage())
		}
		if n := len(rsp.GetFileDescriptorResponse().GetFileDescriptorProto()); n == 0 {
			t.Error("describe grpc.testing.TestService: no file descriptors")
		}
	})

	t.Run("go-micro handlers answer plain gRPC clients", func(t *testing.T) {
		rsp, err := testpb.NewTestServiceClient(r.conn).UnaryCall(ctx, &testpb.SimpleRequest{
			Payload: &testpb.Payload{Body: []byte("hello")},
		})
		if err != nil {
			t.Fatalf("UnaryCall: %v", err)
		}
		if got := string(rsp.GetPayload().GetBody()); got != "hello" {
			t.Errorf("UnaryCall payload = %q, want %q", got, "hello")
		}
		_, err = testpb.NewTestServiceClient(r.conn).UnimplementedCall(ctx, &testpb.Empty{})
		if got := status.Code(err); got != codes.Unimplemented {
			t.Errorf("UnimplementedCall code = %s, want Unimplemented (err %v)", got, err)
		}
	})

	t.Run("undecodable bodies are the caller's error", func(t *testing.T) {
		tests := []struct {
			name   string
			body   []byte
			detail string // what the go-micro error's detail says, in part
		}{
			{"garbage", []byte{0xff, 0xff, 0xff, 0xff}, "proto:"},
			{"truncated", []byte{0x3a, 0x05, 0x12, 0x01}, "proto:"},
			// response_status (7) holding a message (2) that is not UTF-8.
			{"string not UTF-8", []byte{0x3a, 0x03, 0x12, 0x01, 0xff}, "response_status.message: not valid UTF-8"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var out []byte
				err := r.conn.Invoke(ctx, "/grpc.testing.TestService/UnaryCall", tt.body, &out, grpc.ForceCodecV2(rawCodec{}))
				st := status.Convert(err)
				if st.Code() != codes.InvalidArgument {
					t.Fatalf("code = %s, want InvalidArgument (err %v)", st.Code(), err)
				}
				var merr *microerrors.Error
				for _, d := range st.Details() {
					if e, ok := d.(*microerrors.Error); ok {
						merr = e
					}
				}
				want := "request body is not a valid grpc.testing.SimpleRequest: " + tt.detail
				if merr == nil || merr.Code != 400 || merr.Id != name || !strings.Contains(merr.Detail, want) {
					t.Errorf("go-micro error in the details = %v, want a 400 from %s saying %q", merr, name, want)
				}
			})
		}
	})

	t.Run("go-micro clients", func(t *testing.T) {
		echoThrough(t, ctx, NewClient(r.Registry()), name)
	})
}

// echoThrough calls TestService.UnaryCall of the service name through c,
// and fails t unless it echoes the payload.
func echoThrough(t *testing.T, ctx context.Context, c client.Client, name string) {
	t.Helper()
	req := c.NewRequest(name, "TestService.UnaryCall", &testpb.SimpleRequest{Payload: &testpb.Payload{Body: []byte("hi")}})
	var rsp testpb.SimpleResponse
	if err := c.Call(ctx, req, &rsp); err != nil {
		t.Fatalf("go-micro call of %s: %v", name, err)
	}
	if got := string(rsp.GetPayload().GetBody()); got != "hi" {
		t.Errorf("go-micro call of %s: payload %q, want %q", name, got, "hi")
	}
}

// TestHealthWhileDraining stops a service while a call is in flight: health
// turns NOT_SERVING at once, a Watch stream sees it and then ends, and the
// call still completes.
func TestHealthWhileDraining(t *testing.T) {
	h := &TestService{started: make(chan struct{}), release: make(chan struct{})}
	r := startService(t, "shippy.test.draining", h, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	watch, err := healthpb.NewHealthClient(r.conn).Watch(ctx, &healthpb.HealthCheckRequest{Service: r.name})
	if err != nil {
		t.Fatal(err)
	}
	recvStatus := func() (healthpb.HealthCheckResponse_ServingStatus, error) {
		rsp, err := watch.Recv()
		return rsp.GetStatus(), err
	}
	if got, err := recvStatus(); err != nil || got != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("Watch: first status %s (err %v), want SERVING", got, err)
	}

	inflight := r.unaryCall()
	<-h.started
	r.stop()

	r.waitHealth(t, healthpb.HealthCheckResponse_NOT_SERVING)
	if got, err := recvStatus(); err != nil || got != healthpb.HealthCheckResponse_NOT_SERVING {
		t.Errorf("Watch while draining: %s (err %v), want NOT_SERVING", got, err)
	}
	select {
	case err := <-inflight:
		t.Fatalf("in-flight call ended before it was released: %v", err)
	case <-time.After(50 * time.Millisecond):
	}

	close(h.release)
	if err := <-inflight; err != nil {
		t.Errorf("in-flight call failed across the drain: %v", err)
	}
	// The drain ends the Watch stream itself, well before go-micro's hard
	// stop a second later would cut the connection.
	released := time.Now()
	if _, err := recvStatus(); status.Code(err) != codes.Unavailable {
		t.Errorf("Watch after the drain: err %v, want the stream ended with Unavailable", err)
	}
	if elapsed := time.Since(released); elapsed > 500*time.Millisecond {
		t.Errorf("Watch ended %s after the in-flight call was released, want at once", elapsed)
	}
	if err := r.wait(); err != nil {
		t.Errorf("Run() = %v, want nil", err)
	}
}

// TestHealthFollowsChecks flips a health check between passing, failing and
// hanging: health follows within a few polls, and each change is logged once.
func TestHealthFollowsChecks(t *testing.T) {
	var failing, hanging atomic.Bool
	failing.Store(true)
	check := func(ctx context.Context) error {
		if hanging.Load() {
			<-ctx.Done()
			return ctx.Err()
		}
		if failing.Load() {
			return errors.New("store unreachable")
		}
		return nil
	}
	r := startService(t, "shippy.test.checked", &TestService{}, func(s *Service) {
		s.checkInterval = 10 * time.Millisecond
		s.checkTimeout = 50 * time.Millisecond
		s.CheckHealth(check)
	})

	const (
		serving    = healthpb.HealthCheckResponse_SERVING
		notServing = healthpb.HealthCheckResponse_NOT_SERVING
	)
	// The first round runs before the service says it started.
	for _, service := range []string{"", r.name} {
		if got := r.health(t, service); got != notServing {
			t.Errorf("health Check(%q) with a failing check at start = %s, want NOT_SERVING", service, got)
		}
	}
	steps := []struct {
		failing, hanging bool
		want             healthpb.HealthCheckResponse_ServingStatus
	}{
		{want: serving},
		{failing: true, want: notServing},
		{want: serving},
		{hanging: true, want: notServing},
		{want: serving},
	}
	for _, step := range steps {
		failing.Store(step.failing)
		hanging.Store(step.hanging)
		r.waitHealth(t, step.want)
	}
	time.Sleep(50 * time.Millisecond) // a few more polls, which must not log

	logs := r.logs.String()
	if got := strings.Count(logs, "health check failed"); got != 3 {
		t.Errorf("logged %d failures, want 3 (one per change):\n%s", got, logs)
	}
	if got := strings.Count(logs, "health check passes again"); got != 3 {
		t.Errorf("logged %d recoveries, want 3 (one per change):\n%s", got, logs)
	}
}

func TestHealthcheck(t *testing.T) {
	var failing atomic.Bool
	r := startService(t, "shippy.test.healthcheck", &TestService{}, func(s *Service) {
		s.checkInterval = 10 * time.Millisecond
		s.CheckHealth(func(context.Context) error {
			if failing.Load() {
				return errors.New("store unreachable")
			}
			return nil
		})
	})
	_, port, err := net.SplitHostPort(r.addr)
	if err != nil {
		t.Fatal(err)
	}
	closed := testenv.FreePort(t)

	tests := []struct {
		name       string
		addr       string // MICRO_SERVER_ADDRESS
		failing    bool
		wantErr    string // substring; empty means no error
		wantStdout string
	}{
		{name: "serving", addr: ":" + port, wantStdout: "127.0.0.1:" + port + ": SERVING\n"},
		{name: "serving on every interface", addr: "0.0.0.0:" + port, wantStdout: "127.0.0.1:" + port + ": SERVING\n"},
		{name: "not serving", addr: r.addr, failing: true, wantErr: "NOT_SERVING"},
		{name: "nothing listening", addr: "127.0.0.1:" + closed, wantErr: "127.0.0.1:" + closed},
		{name: "unset", wantErr: "MICRO_SERVER_ADDRESS is not set"},
		{name: "any free port", addr: ":0", wantErr: "MICRO_SERVER_ADDRESS: \":0\" has port 0"},
		{name: "no port", addr: "localhost", wantErr: "MICRO_SERVER_ADDRESS: \"localhost\" is not host:port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			failing.Store(tt.failing)
			want := healthpb.HealthCheckResponse_SERVING
			if tt.failing {
				want = healthpb.HealthCheckResponse_NOT_SERVING
			}
			r.waitHealth(t, want)

			var stdout bytes.Buffer
			start := time.Now()
			err := Healthcheck(context.Background(), func(k string) string {
				return map[string]string{EnvServerAddress: tt.addr}[k]
			}, &stdout)
			if elapsed := time.Since(start); elapsed > HealthcheckTimeout+time.Second {
				t.Errorf("Healthcheck took %s, want at most about %s", elapsed, HealthcheckTimeout)
			}
			switch got := stdout.String(); {
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Healthcheck() error = %v, want one containing %q", err, tt.wantErr)
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Healthcheck() error = %v", err)
			case tt.wantErr == "" && got != tt.wantStdout:
				t.Errorf("Healthcheck() wrote %q, want %q", got, tt.wantStdout)
			}
		})
	}
}

// rawCodec sends a []byte as the body as it is, under the "proto" content
// subtype: a client that can send bodies no protobuf encoder would.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(v.([]byte))}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*v.(*[]byte) = data.Materialize()
	return nil
}

func (rawCodec) Name() string { return "proto" }
