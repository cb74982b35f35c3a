// Package events carries the suite's events on NATS JetStream behind
// go-micro's events.Stream interface: Publish waits for the broker's
// acknowledgement and is deduplicated by event id; Consume delivers through
// a durable consumer shared by the replicas of a group, redelivers what a
// handler Nacks after a backoff, and parks on a dead-letter subject what
// keeps failing. The design, and why not go-micro's own events/natsjs, is
// in docs/events.md.
package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	microevents "go-micro.dev/v5/events"
)

// EnvURL is the environment variable that names the broker: one NATS URL,
// or several separated by commas (nats://127.0.0.1:4222).
const EnvURL = "NATS_URL"

// The streams Connect creates or updates. StreamName holds every event,
// on the subjects below SubjectPrefix; DeadStreamName holds the parked
// ones, on DeadLetterSubject(subject). The dead letters have a stream of
// their own so that they have their own limits and their own duplicate
// window, and so that a consumer of "shippy.>" never meets them.
const (
	StreamName     = "SHIPPY"
	DeadStreamName = "SHIPPY_DEAD"
	// SubjectPrefix starts every topic Publish and Consume accept.
	SubjectPrefix = "shippy."
	// DeadLetterPrefix is put before a topic to make its dead-letter subject.
	DeadLetterPrefix = "dead."
)

// Limits of the streams. An event is kept DuplicateWindow for
// deduplication, and MaxAge for the consumers: a group that does not read
// an event within a week loses it. A full stream refuses new events
// (discard new), so a publisher's outbox keeps them rather than the broker
// dropping old ones that may not have been read.
const (
	// DuplicateWindow bounds how late a republish of an event (the same
	// id) is still dropped by the broker: the outbox relay republishes
	// what it cannot prove was stored, after its own crash or a broker
	// outage, and 10 minutes covers a restart and a short outage. A later
	// republish is stored twice, and the consumer's record of the ids it
	// handled drops it.
	DuplicateWindow = 10 * time.Minute
	MaxAge          = 7 * 24 * time.Hour
	MaxBytes        = 1 << 30 // 1 GiB
	MaxEventBytes   = 1 << 20 // 1 MiB, headers included
	DeadMaxAge      = 30 * 24 * time.Hour
	DeadMaxBytes    = 256 << 20 // 256 MiB
)

// Defaults of Config and of Consume.
const (
	DefaultTimeout = 5 * time.Second
	DefaultBuffer  = 16
	DefaultAckWait = 30 * time.Second
	// DefaultRetryLimit is the retries of an event after its first
	// delivery (events.WithRetryLimit): a handler sees it at most 5 times
	// before it is parked.
	DefaultRetryLimit = 4
)

// DefaultBackoff is the wait before the redelivery of an event a handler
// Nacked, by delivery: 1s after the first, 10s after the second, 1m after
// the third, and 5m after each later one.
var DefaultBackoff = []time.Duration{time.Second, 10 * time.Second, time.Minute, 5 * time.Minute}

// Errors of Publish and Consume, besides go-micro's events.ErrMissingTopic
// and events.ErrEncodingMessage.
var (
	// ErrNotConnected: the broker cannot be reached now. The connection
	// keeps trying; publish again later.
	ErrNotConnected = errors.New("events: not connected to the broker")
	// ErrClosed: Close was called.
	ErrClosed = errors.New("events: stream closed")
	// ErrMissingID: Publish was given no event id (WithID).
	ErrMissingID = errors.New("events: missing event id")
	// ErrInvalid: a topic, group, metadata key or option that cannot work.
	ErrInvalid = errors.New("events: invalid")
	// ErrSettled: the event was acked, nacked or parked already.
	ErrSettled = errors.New("events: event already settled")
)

// Config is what Connect needs.
type Config struct {
	// URL is the broker's URL, or several separated by commas (EnvURL).
	URL string
	// Name names the connection on the broker: the program's name.
	Name string
	// Logger receives connection changes, consumer failures and parked
	// events.
	Logger *slog.Logger
	// Timeout bounds a publish, an ack and the set-up of the streams; 0
	// means DefaultTimeout.
	Timeout time.Duration
	// Buffer is the capacity of a Consume channel, and so the most events
	// a consumer holds unhandled; 0 means DefaultBuffer.
	Buffer int
	// Backoff is the wait before the redelivery of a Nacked event, by
	// delivery (the last repeats); nil means DefaultBackoff.
	Backoff []time.Duration
}

// withDefaults fills in the zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if strings.TrimSpace(c.URL) == "" {
		return c, fmt.Errorf("%w: %s: no broker URL", ErrInvalid, EnvURL)
	}
	if c.Logger == nil {
		return c, fmt.Errorf("%w: no logger", ErrInvalid)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Buffer == 0 {
		c.Buffer = DefaultBuffer
	}
	if c.Backoff == nil {
		c.Backoff = DefaultBackoff
	}
	if c.Timeout < 0 || c.Buffer < 0 || len(c.Backoff) == 0 {
		return c, fmt.Errorf("%w: negative timeout or buffer, or empty backoff", ErrInvalid)
	}
	for _, d := range c.Backoff {
		if d <= 0 {
			return c, fmt.Errorf("%w: backoff %s is not positive", ErrInvalid, d)
		}
	}
	return c, nil
}

// Stream is a connection to the broker that publishes and consumes events.
// It is safe for concurrent use. Close it to stop its consumers and drain
// the connection.
type Stream struct {
	cfg Config
	log *slog.Logger
	nc  *nats.Conn
	js  jetstream.JetStream

	// ready is true while the streams are known to exist: set by
	// ensureStreams, cleared by every reconnect (a broker that lost its
	// storage needs them again).
	ready   atomic.Bool
	readyMu sync.Mutex

	// stop ends the consumers' loops; wg waits for them.
	stop context.CancelFunc
	ctx  context.Context
	wg   sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	connDone chan struct{} // closed when the connection is closed
}

var _ microevents.Stream = (*Stream)(nil)

// Connect returns a Stream on the broker of cfg.URL, and creates or updates
// the streams (StreamName, DeadStreamName) if the broker is up. It does not
// wait for a broker that is down: the Stream reconnects for ever, with a
// backoff up to 2s, and meanwhile Publish fails with ErrNotConnected and
// consumers wait. It returns an error for an invalid cfg, and when a
// reachable broker refuses the streams (JetStream disabled, say).
func Connect(ctx context.Context, cfg Config) (*Stream, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("events: connect: %w", err)
	}
	s := &Stream{cfg: cfg, log: cfg.Logger.With("component", "events"), connDone: make(chan struct{})}
	s.ctx, s.stop = context.WithCancel(context.Background())
	s.nc, err = nats.Connect(cfg.URL,
		nats.Name(cfg.Name),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.CustomReconnectDelay(reconnectDelay),
		// Fail publishes while disconnected instead of buffering them: the
		// caller's outbox keeps them.
		nats.ReconnectBufSize(-1),
		nats.Timeout(cfg.Timeout),
		nats.DrainTimeout(cfg.Timeout),
		nats.ConnectHandler(func(nc *nats.Conn) {
			s.log.Info("events: connected", "url", nc.ConnectedUrlRedacted())
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil { // nil: Close
				s.log.Warn("events: disconnected", "error", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			s.ready.Store(false)
			s.log.Info("events: reconnected", "url", nc.ConnectedUrlRedacted())
		}),
		nats.ClosedHandler(func(*nats.Conn) { close(s.connDone) }),
	)
	if err != nil {
		s.stop()
		return nil, fmt.Errorf("events: connect %s: %w", redactURLs(cfg.URL), err)
	}
	s.js, err = jetstream.New(s.nc, jetstream.WithDefaultTimeout(cfg.Timeout))
	if err != nil {
		s.stop()
		s.nc.Close()
		return nil, fmt.Errorf("events: jetstream: %w", err)
	}
	if !s.nc.IsConnected() {
		s.log.Warn("events: broker unreachable; reconnecting in the background", "url", redactURLs(cfg.URL))
		return s, nil
	}
	if err := s.ensureStreams(ctx); err != nil {
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) {
			s.Close()
			return nil, err
		}
		s.log.Warn("events: streams not set up yet; retrying on first use", "error", err)
	}
	return s, nil
}

// reconnectDelay is the wait before a new round of reconnection attempts:
// 100ms doubling to 2s, plus up to 20% jitter so that restarted replicas do
// not reconnect in step.
func reconnectDelay(attempts int) time.Duration {
	d := 2 * time.Second
	if attempts < 5 {
		d = 100 * time.Millisecond << attempts
	}
	return d + rand.N(d/5+1)
}

// redactURLs drops the user information from the broker URLs, for logs and
// errors.
func redactURLs(urls string) string {
	parts := strings.Split(urls, ",")
	for i, u := range parts {
		if at := strings.LastIndex(u, "@"); at >= 0 {
			scheme := ""
			if j := strings.Index(u, "://"); j >= 0 && j < at {
				scheme = u[:j+3]
			}
			parts[i] = scheme + "redacted@" + u[at+1:]
		}
	}
	return strings.Join(parts, ",")
}

// streamConfigs are the streams' configurations (see the limits' doc).
func streamConfigs() []jetstream.StreamConfig {
	return []jetstream.StreamConfig{{
		Name:        StreamName,
		Description: "Shippy events",
		Subjects:    []string{SubjectPrefix + ">"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardNew,
		MaxAge:      MaxAge,
		MaxBytes:    MaxBytes,
		MaxMsgSize:  MaxEventBytes,
		MaxMsgs:     -1,
		Duplicates:  DuplicateWindow,
		Replicas:    1,
	}, {
		Name:        DeadStreamName,
		Description: "Shippy events parked by their consumers",
		Subjects:    []string{DeadLetterPrefix + SubjectPrefix + ">"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardNew,
		MaxAge:      DeadMaxAge,
		MaxBytes:    DeadMaxBytes,
		// An event of MaxEventBytes and the headers that say why it was
		// parked.
		MaxMsgSize: MaxEventBytes + 64<<10,
		MaxMsgs:    -1,
		Duplicates: DuplicateWindow,
		Replicas:   1,
	}}
}

// ensureStreams creates or updates the streams, once per connection.
func (s *Stream) ensureStreams(ctx context.Context) error {
	if s.ready.Load() {
		return nil
	}
	s.readyMu.Lock()
	defer s.readyMu.Unlock()
	if s.ready.Load() {
		return nil
	}
	for _, cfg := range streamConfigs() {
		if _, err := s.js.CreateOrUpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("events: create or update stream %s: %w", cfg.Name, err)
		}
	}
	s.ready.Store(true)
	return nil
}

// Close stops the consumers (their channels are closed; an event taken from
// one but not yet acked is redelivered after its ack wait), then drains the
// connection: what was published is acknowledged, pending acks are sent.
// It returns when the connection is closed, within about Config.Timeout.
// Stop handling events before calling Close: an Ack after it fails.
func (s *Stream) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()

	s.stop()
	s.wg.Wait()
	if err := s.nc.Drain(); err != nil && !errors.Is(err, nats.ErrConnectionReconnecting) && !errors.Is(err, nats.ErrConnectionClosed) {
		s.nc.Close()
	}
	select {
	case <-s.connDone:
	case <-time.After(s.cfg.Timeout + time.Second):
		s.nc.Close()
		return errors.New("events: close: the connection did not drain in time")
	}
	return nil
}

// isClosed reports whether Close was called.
func (s *Stream) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}
