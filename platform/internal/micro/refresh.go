// Works around go-micro v5.12.0 registry/cache/cache.go (*cache).isValid: a cached service expires every TTL, and the mDNS watcher never renews it.

package micro

import (
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
	service := watchedService(opts)
	if service == "" {
		return w, nil
	}
	return newRefreshingWatcher(w, r.Registry, service, r.interval), nil
}

// refreshingWatcher is a watch of one service: the events of the
// registry's own watcher, and an "update" event for each version of the
// service found by a lookup every interval. Stop ends the lookups too.
type refreshingWatcher struct {
	*addingWatcher
}

func newRefreshingWatcher(inner registry.Watcher, reg registry.Registry, service string, interval time.Duration) *refreshingWatcher {
	w := &refreshingWatcher{newAddingWatcher(inner, make(chan *registry.Result))}
	w.done.Go(func() { w.refresh(reg, service, interval) })
	return w
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
