package platform

import (
	"errors"
	"sync"
	"time"

	"go-micro.dev/v5/registry"
)

// MDNSRefreshInterval is how often a client looks up again, in the
// background, each service it watches over mDNS (see refreshingRegistry).
// It is well inside go-micro's registry cache TTL (a minute), so the
// cached entries never expire while their services run.
const MDNSRefreshInterval = 20 * time.Second

// refreshingRegistry keeps go-micro's registry cache fresh over mDNS.
//
// The cache (go-micro.dev/v5/registry/cache, behind every client's
// selector) keeps a service's entry for a minute after a lookup, and
// renews it on the events of its watch of the service. mDNS sends events
// only when an instance comes or goes, so an entry of a service that runs
// unchanged expires every minute, and the calls made at that moment all
// wait for a fresh lookup, which over mDNS always takes its whole timeout
// (MDNSTimeout). Watches of one service through refreshingRegistry add an
// "update" event for each version of the service, from a lookup made in
// the background every interval: the cache renews the entry with them,
// and no call waits.
//
// An instance that stops without deregistering (killed) is left out of a
// lookup, but an update event does not remove a node; the cache drops it
// when the node's own TTL runs out, as it does without this registry.
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
