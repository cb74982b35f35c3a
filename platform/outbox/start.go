package outbox

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shippy-suite/shippy/platform/events"
)

// Service is what Start needs of the service whose outbox it relays.
type Service struct {
	// Name names the service: its broker connection and its metrics'
	// "service" label.
	Name string
	// BrokerURL is the broker's URL (events.EnvURL); empty: none, and the
	// events wait in the store.
	BrokerURL string
	// Store is the service's outbox.
	Store Store
	// Logger and Metrics are the service's.
	Logger  *slog.Logger
	Metrics prometheus.Registerer
}

// errNoBroker is the publish error of a service with no broker configured:
// its events wait in the outbox.
var errNoBroker = fmt.Errorf("no broker configured (%s is not set)", events.EnvURL)

// Start connects to the broker of s.BrokerURL, when set (without waiting
// for it: events.Connect), and runs a Relay of s.Store with the default
// Config until stop is called, which then closes the connection. Call
// stop after the service has drained its calls and before the store
// closes. With no broker configured it logs so, and the relay keeps the
// events in the outbox, its backlog in its metrics. The service calls the
// relay's Notify after each write that stored events.
func Start(ctx context.Context, s Service) (relay *Relay, stop func(), err error) {
	var (
		pub    Publisher = PublisherFunc(func(context.Context, Message) error { return errNoBroker })
		stream *events.Stream
	)
	if s.Logger == nil {
		return nil, nil, fmt.Errorf("start outbox relay: nil logger")
	}
	if s.BrokerURL == "" {
		s.Logger.Warn("no event broker configured: events wait in the store until the service runs with one", "variable", events.EnvURL)
	} else {
		stream, err = events.Connect(ctx, events.Config{URL: s.BrokerURL, Name: s.Name, Logger: s.Logger})
		if err != nil {
			return nil, nil, err
		}
		pub = StreamPublisher(stream)
	}
	relay, err = New(s.Store, pub, s.Logger, s.Metrics, Config{Service: s.Name})
	if err != nil {
		if stream != nil {
			stream.Close()
		}
		return nil, nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := relay.Run(runCtx); err != nil {
			s.Logger.Error("outbox relay stopped", "error", err)
		}
	}()
	return relay, func() {
		cancel()
		<-done
		if stream != nil {
			if err := stream.Close(); err != nil {
				s.Logger.Warn("close the event broker connection", "error", err)
			}
		}
	}, nil
}
