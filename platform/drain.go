package platform

import (
	"context"
	"errors"
	"sync"
	"time"

	microerrors "go-micro.dev/v5/errors"
	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"
)

// errDraining is what a draining instance answers to a new call: 503, which
// clients built with NewClient retry on another instance.
var errDraining = errors.New("draining: the instance is shutting down")

// drainer counts in-flight calls so that a stopping service can finish them
// before go-micro's gRPC server, which gives up after a hard second, stops.
// Once draining it refuses new calls and fails the registry's re-register
// check, so the node is not put back after it deregistered.
type drainer struct {
	name string

	mu       sync.Mutex
	draining bool
	inflight int
	idle     chan struct{} // closed when draining and inflight reaches 0
}

func newDrainer(name string) *drainer {
	return &drainer{name: name, idle: make(chan struct{})}
}

// wrap is a server.HandlerWrapper: it refuses calls once draining and counts
// the others while they run.
func (d *drainer) wrap(next server.HandlerFunc) server.HandlerFunc {
	return func(ctx context.Context, req server.Request, rsp any) error {
		if !d.enter() {
			return microerrors.New(d.name, errDraining.Error(), 503)
		}
		defer d.leave()
		return next(ctx, req, rsp)
	}
}

func (d *drainer) enter() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.draining {
		return false
	}
	d.inflight++
	return true
}

func (d *drainer) leave() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.inflight--
	if d.draining && d.inflight == 0 {
		close(d.idle)
	}
}

// check is a server register check: it fails once the drain has begun.
func (d *drainer) check(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.draining {
		return errDraining
	}
	return nil
}

// begin stops new calls; wait then waits for the ones in flight. Calling it
// again is harmless.
func (d *drainer) begin() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.draining {
		d.draining = true
		if d.inflight == 0 {
			close(d.idle)
		}
	}
}

// wait waits, after begin, until the in-flight calls finish or timeout
// passes. It reports how many calls were still running when it gave up.
func (d *drainer) wait(timeout time.Duration) (unfinished int) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-d.idle:
		return 0
	case <-timer.C:
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.inflight
	}
}

// drainingRegistry is the registry a service registers in: once the drain
// has begun, Register does nothing. go-micro's register loop, finding its
// check failing while still registered, deregisters and then registers again
// in the same round; without this the node could come back after the
// service deregistered, and a registry that is gone would hold the stop up
// with register retries.
type drainingRegistry struct {
	registry.Registry
	drain *drainer
}

func (r drainingRegistry) Register(s *registry.Service, opts ...registry.RegisterOption) error {
	if r.drain.check(context.Background()) != nil {
		return nil
	}
	return r.Registry.Register(s, opts...)
}
