// Works around go-micro v5.12.0 registry/cache/cache.go (*cache).isValid: a cached service expires every TTL, and the mDNS watcher never renews it.

package micro

import (
	"errors"
	"sync"
	"time"

	"go-micro.dev/v5/registry"
)

// NewRefreshingRegistry returns reg with its watches of one service
// (registry.WatchService) adding an "update" event for each version of the
// service, from a lookup made in the background every interval. go-micro's
// registry cache renews its entry of the service with each: with an
// interval well inside the cache's TTL, the entry of a running service
// never expires, and no call waits for a lookup. A failed lookup sends
// nothing, and an update never removes a node. See
// docs/go-micro-workarounds.md.
func NewRefreshingRegistry(reg registry.Registry, interval time.Duration) registry.Registry {
	return refreshingRegistry{Registry: reg, interval: interval}
}

// refreshingRegistry is what NewRefreshingRegistry returns.
type refreshingRegistry struct {
	registry.Registry
	interval time.Duration
}

// Watch implements registry.Watcher. Watches of every service (no
// registry.WatchService) are the registry's own.
func (r refreshingRegistry) Watch(opts ...registry.WatchOption) (registry.Watcher, error) {
	w, err := r.Registry.Watch(opts...)
	if err != nil {
		return nil, err
	}
	var o registry.WatchOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.Service == "" {
		return w, nil
	}
	return newRefreshingWatcher(w, r.Registry, o.Service, r.interval), nil
}

// refreshingWatcher is a watch of one service: the events of the
// registry's own watcher, and an "update" event for each version of the
// service found by a lookup every interval.
type refreshingWatcher struct {
	inner   registry.Watcher
	results chan *registry.Result
	failed  chan error // the inner watcher's error, once
	stop    chan struct{}
	stopped sync.Once
	done    sync.WaitGroup
}

func newRefreshingWatcher(inner registry.Watcher, reg registry.Registry, service string, interval time.Duration) *refreshingWatcher {
	w := &refreshingWatcher{
		inner:   inner,
		results: make(chan *registry.Result),
		failed:  make(chan error, 1),
		stop:    make(chan struct{}),
	}
	w.done.Go(w.forward)
	w.done.Go(func() { w.refresh(reg, service, interval) })
	return w
}

// forward passes the inner watcher's events on until it fails (as it does
// once stopped).
func (w *refreshingWatcher) forward() {
	for {
		res, err := w.inner.Next()
		if err != nil {
			w.failed <- err
			return
		}
		if !w.send(res) {
			return
		}
	}
}

// refresh looks service up every interval and sends what it finds as
// update events. A failed lookup (no instance, say) sends nothing: only
// the watcher's own events remove what the cache holds.
func (w *refreshingWatcher) refresh(reg registry.Registry, service string, interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-tick.C:
		}
		services, err := reg.GetService(service)
		if err != nil {
			continue
		}
		for _, s := range services {
			if !w.send(&registry.Result{Action: "update", Service: s}) {
				return
			}
		}
	}
}

// send hands res to Next, and reports false once the watcher is stopped.
func (w *refreshingWatcher) send(res *registry.Result) bool {
	select {
	case w.results <- res:
		return true
	case <-w.stop:
		return false
	}
}

// Next implements registry.Watcher: the next event, or an error once the
// inner watcher failed or the watcher is stopped.
func (w *refreshingWatcher) Next() (*registry.Result, error) {
	select {
	case res := <-w.results:
		return res, nil
	case err := <-w.failed:
		w.Stop()
		return nil, err
	case <-w.stop:
		return nil, errWatcherStopped
	}
}

// Stop implements registry.Watcher. It ends the lookups and the inner
// watcher, and returns once both have ended.
func (w *refreshingWatcher) Stop() {
	w.stopped.Do(func() {
		close(w.stop)
		w.inner.Stop()
	})
	w.done.Wait()
}

var errWatcherStopped = errors.New("watcher stopped")
