package micro

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"go-micro.dev/v5/errors"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"

	"github.com/shippy-suite/shippy/testenv"
)

func TestDrainerWaitsForInflightCalls(t *testing.T) {
	t.Parallel()
	d := NewDrainer("test")
	release := make(chan struct{})
	started := make(chan struct{})
	handler := d.Wrap(func(context.Context, server.Request, any) error {
		close(started)
		<-release
		return nil
	})

	var wg sync.WaitGroup
	var callErr error
	wg.Go(func() { callErr = handler(context.Background(), nil, nil) })
	<-started

	drained := make(chan int)
	go func() {
		d.Begin()
		drained <- d.Wait(5 * time.Second)
	}()

	// While draining: new calls are refused with 503, and the register
	// check fails so the node is not registered again.
	testenv.WaitFor(t, "the drain to begin", func() bool { return d.Check(context.Background()) != nil })
	err := d.Wrap(func(context.Context, server.Request, any) error { return nil })(context.Background(), nil, nil)
	if got := errors.FromError(err).Code; got != http.StatusServiceUnavailable {
		t.Errorf("call while draining: code %d, want 503 (err %v)", got, err)
	}
	select {
	case n := <-drained:
		t.Fatalf("wait returned %d before the in-flight call finished", n)
	case <-time.After(50 * time.Millisecond):
	}

	close(release)
	if n := <-drained; n != 0 {
		t.Errorf("wait() = %d unfinished, want 0", n)
	}
	wg.Wait()
	if callErr != nil {
		t.Errorf("in-flight call error = %v", callErr)
	}
}

func TestDrainerGivesUpAfterTimeout(t *testing.T) {
	t.Parallel()
	d := NewDrainer("test")
	block := make(chan struct{})
	defer close(block)
	started := make(chan struct{})
	go d.Wrap(func(context.Context, server.Request, any) error {
		close(started)
		<-block
		return nil
	})(context.Background(), nil, nil)
	<-started
	d.Begin()
	if n := d.Wait(20 * time.Millisecond); n != 1 {
		t.Errorf("wait() = %d unfinished, want 1", n)
	}
}

func TestDrainerIdle(t *testing.T) {
	t.Parallel()
	d := NewDrainer("test")
	for i := range 2 { // twice is harmless
		d.Begin()
		if n := d.Wait(time.Second); n != 0 {
			t.Errorf("wait() #%d = %d, want 0", i+1, n)
		}
	}
}

func TestDrainingRegistryRegistersNothingOnceDraining(t *testing.T) {
	t.Parallel()
	d := NewDrainer("test")
	reg := d.Registry(registry.NewMemoryRegistry())
	svc := func(id string) *registry.Service {
		return &registry.Service{Name: "test", Nodes: []*registry.Node{{Id: id, Address: "127.0.0.1:1"}}}
	}
	if err := reg.Register(svc("before")); err != nil {
		t.Fatalf("Register before the drain: %v", err)
	}
	d.Begin()
	if err := reg.Register(svc("after")); err != nil {
		t.Fatalf("Register while draining = %v, want nil (a no-op)", err)
	}
	got, err := reg.GetService("test")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, s := range got {
		for _, n := range s.Nodes {
			ids = append(ids, n.Id)
		}
	}
	if len(ids) != 1 || ids[0] != "before" {
		t.Errorf("registered nodes = %v, want only [before]", ids)
	}
}
