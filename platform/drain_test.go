package platform

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"go-micro.dev/v5/registry"
)

// TestDrainOutlastsHardStop stops a service while a call is in flight and
// releases the call only after go-micro's gRPC server would have cut it
// (it gives in-flight calls one second): the call completes, because the
// drain waits for it first.
func TestDrainOutlastsHardStop(t *testing.T) {
	h := &TestService{started: make(chan struct{}), release: make(chan struct{})}
	r := startService(t, "shippy.test.drain", h, nil)
	inflight := r.unaryCall()
	<-h.started
	r.stop()
	time.Sleep(1500 * time.Millisecond)
	close(h.release)
	if err := <-inflight; err != nil {
		t.Errorf("a call in flight for 1.5s after the stop failed: %v", err)
	}
	if err := r.wait(); err != nil {
		t.Errorf("Run() = %v, want nil", err)
	}
}

// goneRegistry is a registry that stops answering (Register and Deregister
// fail) once gone is set.
type goneRegistry struct {
	registry.Registry
	gone atomic.Bool
}

var errRegistryGone = errors.New("registry unreachable")

func (r *goneRegistry) Register(s *registry.Service, opts ...registry.RegisterOption) error {
	if r.gone.Load() {
		return errRegistryGone
	}
	return r.Registry.Register(s, opts...)
}

func (r *goneRegistry) Deregister(s *registry.Service, opts ...registry.DeregisterOption) error {
	if r.gone.Load() {
		return errRegistryGone
	}
	return r.Registry.Deregister(s, opts...)
}

// TestStopWithRegistryGone stops a service, whose registry has gone away,
// while a call is in flight, with go-micro's register loop ticking every
// 10 ms. go-micro's loop, finding its check failing while the node is
// still registered (the deregister failed), registers it again, retrying a
// failing registry for seconds; the draining service registers nothing,
// so it stops at once when the call ends.
func TestStopWithRegistryGone(t *testing.T) {
	reg := &goneRegistry{Registry: registry.NewMemoryRegistry()}
	h := &TestService{started: make(chan struct{}), release: make(chan struct{})}
	r := startServiceWith(t, "shippy.test.gone", serviceOptions{
		reg:      reg,
		env:      map[string]string{EnvShutdownTimeout: "10s", EnvRegisterInterval: "10ms", EnvRegisterTTL: "1s"},
		handlers: []any{h},
	})
	inflight := r.unaryCall()
	<-h.started
	reg.gone.Store(true)
	r.stop()
	time.Sleep(300 * time.Millisecond) // many rounds of the register loop
	close(h.release)
	released := time.Now()
	if err := <-inflight; err != nil {
		t.Errorf("in-flight call failed across the stop: %v", err)
	}
	if err := r.wait(); err != nil {
		t.Errorf("Run() = %v, want nil", err)
	}
	if elapsed := time.Since(released); elapsed > time.Second {
		t.Errorf("Run returned %s after the last call ended, want at once: register retries held the stop up", elapsed.Round(time.Millisecond))
	}
}
