package platform

import (
	"context"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"go-micro.dev/v5/client"
	"go-micro.dev/v5/errors"
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
	cfg, err := LoadConfig(func(k string) string {
		return map[string]string{EnvServerAddress: "127.0.0.1:0"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	svc, err := NewService(ctx, name, cfg, NewLogger(io.Discard, 0))
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Server().Handle(svc.Server().NewHandler(Sleeper{})); err != nil {
		t.Fatal(err)
	}
	ran := make(chan error, 1)
	go func() { ran <- svc.Run() }()

	reg, err := NewRegistry(cfg)
	if err != nil {
		t.Fatal(err)
	}
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
	stop() // what SIGTERM does in a program

	if err := <-inflight; err != nil {
		t.Errorf("in-flight 3s call failed across shutdown: %v", err)
	}
	select {
	case err := <-ran:
		if err != nil {
			t.Errorf("Run() = %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s of the stop")
	}
	if services, err := reg.GetService(name); err == nil && len(services) > 0 && len(services[0].Nodes) > 0 {
		t.Errorf("service still registered after stop: %+v", services[0].Nodes)
	}
	err = call(0)
	if code := errors.FromError(err).Code; err == nil || code == http.StatusOK {
		t.Errorf("call after stop = %v, want an error", err)
	}
}
