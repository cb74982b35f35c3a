package discovery

import (
	"context"
	"errors"
	"testing"
	"time"

	"go-micro.dev/v5/registry"
)

// The tests use go-micro's in-memory registry: no mDNS in unit tests.

func node(name, addr string) *registry.Service {
	return &registry.Service{Name: name, Nodes: []*registry.Node{{Id: name + "-" + addr, Address: addr}}}
}

func TestHasNode(t *testing.T) {
	t.Parallel()
	services := []*registry.Service{node("a", "127.0.0.1:1"), node("a", "127.0.0.1:2")}
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:1", true},
		{"127.0.0.1:2", true},
		{"127.0.0.1:3", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := HasNode(services, tt.addr); got != tt.want {
			t.Errorf("HasNode(%q): got %v, want %v", tt.addr, got, tt.want)
		}
	}
}

func TestWaitNode(t *testing.T) {
	t.Parallel()
	const name, addr = "svc", "127.0.0.1:9"
	reg := registry.NewMemoryRegistry()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Another instance of the service does not count.
	if err := reg.Register(node(name, "127.0.0.1:8")); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(50*time.Millisecond, func() { reg.Register(node(name, addr)) })
	if err := WaitNode(ctx, reg, name, addr, nil); err != nil {
		t.Errorf("WaitNode: %v", err)
	}
}

func TestWaitNodeStops(t *testing.T) {
	t.Parallel()
	reg := registry.NewMemoryRegistry()
	exited := make(chan struct{})
	close(exited)
	if err := WaitNode(context.Background(), reg, "svc", "127.0.0.1:9", exited); !errors.Is(err, ErrExited) {
		t.Errorf("WaitNode after exit: got %v, want ErrExited", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := WaitNode(ctx, reg, "svc", "127.0.0.1:9", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("WaitNode past the deadline: got %v, want the deadline", err)
	}
}

func TestProbe(t *testing.T) {
	t.Parallel()
	const name, addr = "svc", "127.0.0.1:9"
	const delay, interval = 100 * time.Millisecond, 5 * time.Millisecond
	reg := registry.NewMemoryRegistry()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	since := time.Now()
	time.AfterFunc(delay, func() { reg.Register(node(name, addr)) })
	got, err := Probe(ctx, reg, name, addr, since, interval, nil)
	if err != nil {
		t.Fatalf("Probe: %v", err)
	}
	// The lookup sent just before the registration misses it; the next
	// one, at most an interval later (plus scheduling), finds it.
	if got.Registered < delay-interval || got.Registered > delay+50*time.Millisecond {
		t.Errorf("Registered: got %v, want about %v", got.Registered, delay)
	}
	if got.Found < got.Registered {
		t.Errorf("Found %v is before Registered %v", got.Found, got.Registered)
	}
}

func TestProbeStops(t *testing.T) {
	t.Parallel()
	reg := registry.NewMemoryRegistry()
	if _, err := Probe(context.Background(), reg, "svc", "a", time.Now(), 0, nil); err == nil {
		t.Error("Probe with a zero interval: got no error")
	}
	exited := make(chan struct{})
	time.AfterFunc(20*time.Millisecond, func() { close(exited) })
	if _, err := Probe(context.Background(), reg, "svc", "a", time.Now(), time.Millisecond, exited); !errors.Is(err, ErrExited) {
		t.Errorf("Probe after exit: got %v, want ErrExited", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := Probe(ctx, reg, "svc", "a", time.Now(), time.Millisecond, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Probe past the deadline: got %v, want the deadline", err)
	}
}
