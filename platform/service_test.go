package platform

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go-micro.dev/v5/client"
	microerrors "go-micro.dev/v5/errors"
	"go-micro.dev/v5/registry"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/shippy-suite/shippy/testenv"
	"github.com/shippy-suite/shippy/testenv/netns"
)

func TestMain(m *testing.M) { os.Exit(netns.Main(m)) }

// Sleeper is a go-micro handler whose one method takes as long as asked.
type Sleeper struct{}

func (Sleeper) Sleep(ctx context.Context, req *durationpb.Duration, _ *emptypb.Empty) error {
	select {
	case <-time.After(req.AsDuration()):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestServiceStopsCleanly runs a real service on the mDNS registry, calls it
// through discovery, and stops it while a 3 s call is in flight: the call
// completes, the service deregisters, and Run returns nil.
func TestServiceStopsCleanly(t *testing.T) {
	netns.Require(t)
	const name = "shippy.test.Sleeper"
	cfg, err := LoadConfig(func(string) string { return "" }) // mDNS
	if err != nil {
		t.Fatal(err)
	}
	registries := make([]registry.Registry, 2) // the service's, the test's
	for i := range registries {
		if registries[i], err = NewRegistry(cfg); err != nil {
			t.Fatal(err)
		}
	}
	r := startServiceWith(t, name, serviceOptions{
		reg: registries[0], env: map[string]string{EnvShutdownTimeout: "15s"}, handlers: []any{Sleeper{}},
	})
	reg := registries[1]
	testenv.WaitFor(t, name+" registered", func() bool {
		services, err := reg.GetService(name)
		return err == nil && len(services) > 0 && len(services[0].Nodes) > 0
	})

	c := NewClient(reg)
	call := func(d time.Duration) error {
		req := c.NewRequest(name, "Sleeper.Sleep", durationpb.New(d))
		return c.Call(context.Background(), req, &emptypb.Empty{}, client.WithRequestTimeout(10*time.Second))
	}
	if err := call(0); err != nil {
		t.Fatalf("call through discovery: %v", err)
	}

	inflight := make(chan error, 1)
	go func() { inflight <- call(3 * time.Second) }()
	time.Sleep(500 * time.Millisecond)
	r.stop() // what SIGTERM does in a program

	if err := <-inflight; err != nil {
		t.Errorf("in-flight 3s call failed across shutdown: %v", err)
	}
	returned := time.Now()
	if err := r.wait(); err != nil {
		t.Fatalf("Run() = %v, want nil", err)
	}
	if waited := time.Since(returned); waited > 10*time.Second {
		t.Fatalf("Run returned %s after the in-flight call, want within 10s", waited)
	}
	if services, err := reg.GetService(name); err == nil && len(services) > 0 && len(services[0].Nodes) > 0 {
		t.Errorf("service still registered after stop: %+v", services[0].Nodes)
	}
	err = call(0)
	if code := microerrors.FromError(err).Code; err == nil || code == http.StatusOK {
		t.Errorf("call after stop = %v, want an error", err)
	}
}

// running is a service started by startServiceWith, with a plain grpc-go
// connection to its port.
type running struct {
	*Service
	reg  registry.Registry
	addr string
	conn *grpc.ClientConn
	logs *testenv.SyncBuffer
	stop context.CancelFunc // what SIGTERM does
	wait func() error       // Run's result, once it returned
}

// serviceOptions says how startServiceWith builds a service.
type serviceOptions struct {
	env      map[string]string // configuration, on top of a loopback address and a 5 s SHUTDOWN_TIMEOUT
	reg      registry.Registry // nil: a new memory registry
	tracing  *Tracing          // nil: from the configuration
	setup    func(*Service)    // if set, runs before Run
	handlers []any
}

// startServiceWith runs the service name as opts say, and returns once it
// has started. The service stops when the test ends, if the test did not
// stop it, and Run must then return nil; its logs are shown when the test
// failed. go-micro keeps package-level
// defaults: tests that build services do not run in parallel.
func startServiceWith(t *testing.T, name string, opts serviceOptions) *running {
	t.Helper()
	vars := map[string]string{EnvServerAddress: "127.0.0.1:0", EnvShutdownTimeout: "5s"}
	maps.Copy(vars, opts.env)
	cfg, err := LoadConfig(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	r := &running{reg: opts.reg, logs: &testenv.SyncBuffer{}}
	if r.reg == nil {
		r.reg = registry.NewMemoryRegistry()
	}
	logger := NewLogger(r.logs, slog.LevelDebug)
	ctx, stop := context.WithCancel(context.Background())
	r.stop = stop
	if opts.tracing == nil {
		r.Service, err = newService(ctx, name, cfg, logger, r.reg)
	} else {
		r.Service, err = newServiceWith(ctx, name, cfg, logger, r.reg, opts.tracing)
	}
	if err != nil {
		stop()
		t.Fatal(err)
	}
	for _, h := range opts.handlers {
		if err := r.Server().Handle(r.Server().NewHandler(h)); err != nil {
			stop()
			t.Fatal(err)
		}
	}
	if opts.setup != nil {
		opts.setup(r.Service)
	}
	ran := make(chan error, 1)
	go func() { ran <- r.Run() }()
	r.wait = sync.OnceValue(func() error {
		select {
		case err := <-ran:
			return err
		case <-time.After(15 * time.Second):
			return errors.New("Run did not return within 15s")
		}
	})
	t.Cleanup(func() {
		stop()
		if err := r.wait(); err != nil {
			t.Errorf("Run() = %v, want nil", err)
		}
		if t.Failed() {
			t.Logf("%s logs:\n%s", name, r.logs)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(r.logs.String(), `"msg":"service started"`) {
		select {
		case err := <-ran:
			t.Fatalf("Run() returned %v before the service started; logs:\n%s", err, r.logs)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("service did not start within 10s; logs:\n%s", r.logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.addr = r.Server().Options().Address
	r.conn, err = grpc.NewClient(r.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.conn.Close() })
	return r
}
