// Serves the workarounds of refresh.go and firstanswer.go (go-micro v5.12.0 registry/cache/cache.go, registry/mdns_registry.go): a registry watcher with events of our own added.

package micro

import (
	"errors"
	"sync"

	"go-micro.dev/v5/registry"
)

// addingWatcher is a registry's own watcher with events of another source
// added: what is sent on extra comes out of Next among the inner watcher's
// events. Its fields are set before it is used, and not changed after.
type addingWatcher struct {
	inner registry.Watcher
	extra chan *registry.Result
	// unwatch, when set, runs once as the watcher stops.
	unwatch func()

	events  chan *registry.Result // the inner watcher's
	failed  chan error            // the inner watcher's error, once
	stop    chan struct{}
	stopped sync.Once
	done    sync.WaitGroup
}

// newAddingWatcher returns inner with the events sent on extra added.
func newAddingWatcher(inner registry.Watcher, extra chan *registry.Result) *addingWatcher {
	w := &addingWatcher{
		inner:  inner,
		extra:  extra,
		events: make(chan *registry.Result),
		failed: make(chan error, 1),
		stop:   make(chan struct{}),
	}
	w.done.Go(w.forward)
	return w
}

// forward passes the inner watcher's events on until it fails (as it does
// once stopped).
func (w *addingWatcher) forward() {
	for {
		res, err := w.inner.Next()
		if err != nil {
			w.failed <- err
			return
		}
		select {
		case w.events <- res:
		case <-w.stop:
			return
		}
	}
}

// send hands res to Next as an added event, waiting for it to be taken,
// and reports false once the watcher is stopped.
func (w *addingWatcher) send(res *registry.Result) bool {
	select {
	case w.extra <- res:
		return true
	case <-w.stop:
		return false
	}
}

// Next implements registry.Watcher: the next event of either source, or an
// error once the inner watcher failed or the watcher is stopped.
func (w *addingWatcher) Next() (*registry.Result, error) {
	select {
	case res := <-w.events:
		return res, nil
	case res := <-w.extra:
		return res, nil
	case err := <-w.failed:
		w.Stop()
		return nil, err
	case <-w.stop:
		return nil, errWatcherStopped
	}
}

// Stop implements registry.Watcher. It stops the inner watcher and every
// goroutine started with w.done, and returns once they have ended.
func (w *addingWatcher) Stop() {
	w.stopped.Do(func() {
		if w.unwatch != nil {
			w.unwatch()
		}
		close(w.stop)
		w.inner.Stop()
	})
	w.done.Wait()
}

var _ registry.Watcher = (*addingWatcher)(nil)

// watchedService is the service opts watch, or "" for every service.
func watchedService(opts []registry.WatchOption) string {
	var o registry.WatchOptions
	for _, opt := range opts {
		opt(&o)
	}
	return o.Service
}

var errWatcherStopped = errors.New("watcher stopped")
