// Package discovery waits for service instances to appear in a go-micro
// registry, and measures when they do.
package discovery

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go-micro.dev/v5/registry"
)

// ErrExited is returned when the process that should register exits first.
var ErrExited = errors.New("the process exited before it was discoverable")

// pollInterval separates WaitNode's lookups.
const pollInterval = 20 * time.Millisecond

// HasNode reports whether services, a registry answer, list a node at addr.
func HasNode(services []*registry.Service, addr string) bool {
	for _, s := range services {
		for _, n := range s.Nodes {
			if n.Address == addr {
				return true
			}
		}
	}
	return false
}

// WaitNode looks up service name in reg until it lists a node at addr. It
// returns ErrExited when exited is closed first, and ctx's error when ctx is
// done first.
func WaitNode(ctx context.Context, reg registry.Registry, name, addr string, exited <-chan struct{}) error {
	for {
		services, err := reg.GetService(name)
		if err == nil && HasNode(services, addr) {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("%s at %s: %w", name, addr, ErrExited)
		case <-ctx.Done():
			return fmt.Errorf("%s at %s is not in the registry: %w (last lookup: %d services, error %v)",
				name, addr, ctx.Err(), len(services), err)
		case <-time.After(pollInterval):
		}
	}
}

// Times says when an instance became discoverable, as durations since the
// process started.
type Times struct {
	// Registered is when the earliest lookup that found the instance was
	// sent: the instance answered lookups from then on (give or take the
	// probe interval).
	Registered time.Duration
	// Found is when the first lookup that found the instance returned: a
	// client that looked continuously had its address by then. With the
	// platform's mDNS registry, which returns on the first answer, it is
	// close to Registered.
	Found time.Duration
}

// Probe measures when a node of service name at addr appears in reg. From
// the call on it sends one lookup every interval, each running concurrently
// until the registry answers, and stops sending at the first lookup that
// finds the node; it then waits for the lookups still running, since one
// sent earlier may find the node too. Durations are measured from since,
// the moment the process was started. It returns ErrExited when exited is
// closed first, and ctx's error when ctx is done first.
//
// Overlapping lookups are what make the measurement sharp with mDNS, where
// each lookup takes its full timeout: polling one lookup at a time would
// only see the instance up to a timeout late.
func Probe(ctx context.Context, reg registry.Registry, name, addr string, since time.Time, interval time.Duration, exited <-chan struct{}) (Times, error) {
	if interval <= 0 {
		return Times{}, fmt.Errorf("probe: interval must be positive, got %s", interval)
	}
	seen := &firstSeen{found: make(chan struct{})}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	var running sync.WaitGroup
	var err error
loop:
	for {
		running.Go(func() { seen.lookup(reg, name, addr) })
		select {
		case <-ticker.C:
		case <-seen.found:
			break loop
		case <-exited:
			err = ErrExited
			break loop
		case <-ctx.Done():
			err = ctx.Err()
			break loop
		}
	}
	running.Wait()
	if err != nil {
		return Times{}, fmt.Errorf("probe %s at %s: %w", name, addr, err)
	}
	return Times{Registered: seen.sent.Sub(since), Found: seen.answered.Sub(since)}, nil
}

// firstSeen collects, from concurrent lookups, the earliest send time and
// the earliest return time of the lookups that found the node.
type firstSeen struct {
	mu             sync.Mutex
	sent, answered time.Time
	// found is closed by the first lookup that finds the node.
	found chan struct{}
	once  sync.Once
}

// lookup is one lookup of a Probe.
func (f *firstSeen) lookup(reg registry.Registry, name, addr string) {
	start := time.Now()
	services, err := reg.GetService(name)
	if err != nil || !HasNode(services, addr) {
		return
	}
	end := time.Now()
	f.mu.Lock()
	if f.sent.IsZero() || start.Before(f.sent) {
		f.sent = start
	}
	if f.answered.IsZero() || end.Before(f.answered) {
		f.answered = end
	}
	f.mu.Unlock()
	f.once.Do(func() { close(f.found) })
}
