// Works around go-micro v5.12.0 server/grpc/grpc.go (*grpcServer).Start: at stop it gives in-flight calls a hard second, and its register loop re-registers a failing node.

package micro

import (
	"context"
	"errors"
	"sync"
	"time"

	"go-micro.dev/v5/registry"
	"go-micro.dev/v5/server"

	"github.com/shippy-suite/shippy/platform/rpcerr"
)

// errDraining is what a draining instance answers to a new call, as a 503:
// a client that retries unavailable calls retries it on another instance.
var errDraining = errors.New("draining: the instance is shutting down")

// Drainer counts in-flight calls so that a stopping service can finish them
// before go-micro's gRPC server, which gives up after a hard second, stops.
// Once draining it refuses new calls and fails the register check, so the
// node is not put back after it deregistered. Its methods are safe for
// concurrent use. See docs/go-micro-workarounds.md.
//
// Use: Wrap as the innermost handler wrapper, Check as the server's
// register check, Registry around the registry the server registers in;
// at stop, Begin, deregister, then Wait.
type Drainer struct {
	name string

	mu       sync.Mutex
	draining bool
	inflight int
	idle     chan struct{} // closed when draining and inflight reaches 0
}

// NewDrainer returns a drainer for the go-micro service named name (the id
// of the errors it refuses calls with).
func NewDrainer(name string) *Drainer {
	return &Drainer{name: name, idle: make(chan struct{})}
}

// Wrap is a server.HandlerWrapper: it refuses calls once draining, with a
// 503, and counts the others while they run.
func (d *Drainer) Wrap(next server.HandlerFunc) server.HandlerFunc {
	return func(ctx context.Context, req server.Request, rsp any) error {
		if !d.enter() {
			return rpcerr.New(d.name, rpcerr.Unavailable, errDraining.Error())
		}
		defer d.leave()
		return next(ctx, req, rsp)
	}
}

func (d *Drainer) enter() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.draining {
		return false
	}
	d.inflight++
	return true
}

func (d *Drainer) leave() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.inflight--
	if d.draining && d.inflight == 0 {
		close(d.idle)
	}
}

// Check is a server register check: it fails once the drain has begun.
func (d *Drainer) Check(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.draining {
		return errDraining
	}
	return nil
}

// Begin stops new calls; Wait then waits for the ones in flight. Calling it
// again is harmless.
func (d *Drainer) Begin() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.draining {
		d.draining = true
		if d.inflight == 0 {
			close(d.idle)
		}
	}
}

// Wait waits, after Begin, until the in-flight calls finish or timeout
// passes. It reports how many calls were still running when it gave up.
func (d *Drainer) Wait(timeout time.Duration) (unfinished int) {
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

// Registry returns reg with Register doing nothing once the drain has
// begun: go-micro's register loop, finding its check failing while still
// registered, deregisters and registers again in the same round, which
// would put the node back, or hold the stop up with retries when the
// registry is gone.
func (d *Drainer) Registry(reg registry.Registry) registry.Registry {
	return drainingRegistry{Registry: reg, drain: d}
}

// drainingRegistry is what Drainer.Registry returns.
type drainingRegistry struct {
	registry.Registry
	drain *Drainer
}

func (r drainingRegistry) Register(s *registry.Service, opts ...registry.RegisterOption) error {
	if r.drain.Check(context.Background()) != nil {
		return nil
	}
	return r.Registry.Register(s, opts...)
}

// Deregisterer is what go-micro's servers have and server.Server does not
// declare: a server takes itself out of its registry.
type Deregisterer interface{ Deregister() error }
