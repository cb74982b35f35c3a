package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of Config.
const (
	DefaultBatch          = 100
	DefaultPoll           = time.Second
	DefaultMinBackoff     = 100 * time.Millisecond
	DefaultMaxBackoff     = 30 * time.Second
	DefaultPublishTimeout = 5 * time.Second
)

// doneTimeout bounds the marking of published messages once Run's context
// has ended: a message the broker has should not be published again
// needlessly.
const doneTimeout = 2 * time.Second

// Config is the tuning of a Relay; zero fields take the defaults.
type Config struct {
	// Service names the service in the metrics' "service" label.
	Service string
	// Batch is the most messages the relay reads, and so holds, at once.
	Batch int
	// Poll is the wait before the store is read again when it had no
	// pending message and no Notify came.
	Poll time.Duration
	// MinBackoff and MaxBackoff bound the wait after a failure (a publish,
	// or the store), doubling from MinBackoff with each failure in a row.
	MinBackoff, MaxBackoff time.Duration
	// PublishTimeout bounds each publish.
	PublishTimeout time.Duration
}

// withDefaults fills in the zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.Batch == 0 {
		c.Batch = DefaultBatch
	}
	if c.Poll == 0 {
		c.Poll = DefaultPoll
	}
	if c.MinBackoff == 0 {
		c.MinBackoff = DefaultMinBackoff
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.PublishTimeout == 0 {
		c.PublishTimeout = DefaultPublishTimeout
	}
	if c.Batch < 0 || c.Poll < 0 || c.MinBackoff < 0 || c.PublishTimeout < 0 || c.MaxBackoff < c.MinBackoff {
		return c, fmt.Errorf("outbox: invalid config %+v", c)
	}
	return c, nil
}

// Relay publishes the pending messages of a Store, in the store's order,
// and removes each from the outbox once the broker has it. It holds at
// most Config.Batch messages at a time. While publishing fails it backs
// off and logs once, not per message; the backlog is in its metrics:
//
//	shippy_outbox_pending_messages{service}        pending, as of the last read
//	shippy_outbox_oldest_pending_seconds{service}  age of the oldest pending one
//	shippy_outbox_published_total{service}         published and marked done
//	shippy_outbox_failures_total{service}          failed rounds (publish or store)
//
// Several relays may publish from one store (replicas over one MongoDB):
// a message published by two is dropped by the broker as a duplicate
// within its window, and Done is idempotent.
type Relay struct {
	store  Store
	pub    Publisher
	log    *slog.Logger
	cfg    Config
	kick   chan struct{}
	now    func() time.Time
	sleep  func(ctx context.Context, d time.Duration, kick <-chan struct{}) // waits for d, or a kick when kick is not nil
	counts relayMetrics

	mu      sync.Mutex
	pending int       // pending messages, as of the last read
	oldest  time.Time // CreatedAt of the oldest pending message; zero when none
}

// relayMetrics are the Relay's counters and gauges.
type relayMetrics struct {
	pending   prometheus.Gauge
	published prometheus.Counter
	failures  prometheus.Counter
}

// New returns a Relay that publishes the messages of store with pub,
// logging to logger and registering its metrics in reg. Call Run to
// start it.
func New(store Store, pub Publisher, logger *slog.Logger, reg prometheus.Registerer, cfg Config) (*Relay, error) {
	switch {
	case store == nil:
		return nil, errors.New("new outbox relay: nil store")
	case pub == nil:
		return nil, errors.New("new outbox relay: nil publisher")
	case logger == nil:
		return nil, errors.New("new outbox relay: nil logger")
	case reg == nil:
		return nil, errors.New("new outbox relay: nil metrics registerer")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("new outbox relay: %w", err)
	}
	r := &Relay{
		store: store, pub: pub, log: logger.With("component", "outbox"), cfg: cfg,
		kick: make(chan struct{}, 1), now: time.Now, sleep: sleep,
	}
	labels := prometheus.Labels{"service": cfg.Service}
	r.counts = relayMetrics{
		pending: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "shippy_outbox_pending_messages", ConstLabels: labels,
			Help: "Events waiting in the outbox to be published, as of the relay's last read.",
		}),
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shippy_outbox_published_total", ConstLabels: labels,
			Help: "Events the outbox relay published and removed from the outbox.",
		}),
		failures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "shippy_outbox_failures_total", ConstLabels: labels,
			Help: "Rounds of the outbox relay that failed to publish, or to read or update the outbox.",
		}),
	}
	oldest := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "shippy_outbox_oldest_pending_seconds", ConstLabels: labels,
		Help: "Age of the oldest event waiting in the outbox, in seconds; 0 when none waits.",
	}, r.oldestAge)
	for _, c := range []prometheus.Collector{r.counts.pending, r.counts.published, r.counts.failures, oldest} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("new outbox relay: register metrics: %w", err)
		}
	}
	return r, nil
}

// Notify tells the relay that a message was written, so that it reads the
// store at once rather than at its next poll. It never blocks; a relay
// that is backing off after a failure reads after its backoff.
func (r *Relay) Notify() {
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

// Run publishes pending messages until ctx is done, and returns nil then.
// A message whose publish was under way when ctx ended is not marked done,
// and is published again, under its id, by the next run.
func (r *Relay) Run(ctx context.Context) error {
	var (
		failures int       // rounds failed in a row
		outage   time.Time // when the failures began; zero when none
		backlog  bool      // a backlog was logged and has not cleared yet
		sent     int       // published since the backlog was logged
	)
	for first := true; ctx.Err() == nil; first = false {
		res, err := r.round(ctx)
		sent += res.published
		switch {
		case err != nil && ctx.Err() != nil:
			return nil
		case err != nil:
			r.counts.failures.Inc()
			failures++
			if failures == 1 {
				outage, backlog, sent = r.now(), true, 0
				r.log.WarnContext(ctx, "outbox: cannot relay events; they wait in the outbox and go out once it works again",
					"pending", res.pending, "error", err)
			}
			r.sleep(ctx, r.backoff(failures), nil)
			continue
		case failures > 0:
			r.log.InfoContext(ctx, "outbox: publishing again", "pending", res.pending, "failed_for", r.now().Sub(outage).Round(time.Millisecond))
			failures = 0
		case first && res.pending > 0:
			backlog, sent = true, res.published
			r.log.InfoContext(ctx, "outbox: publishing the events left from before", "pending", res.pending)
		}
		if res.full {
			continue // more may be waiting
		}
		if backlog && res.published == 0 {
			backlog = false
			r.log.InfoContext(ctx, "outbox: backlog cleared", "published", sent)
		}
		if res.published == 0 {
			r.sleep(ctx, r.cfg.Poll, r.kick)
		}
	}
	return nil
}

// result is what one round did.
type result struct {
	pending   int  // pending messages when it read, as far as it knows
	published int  // messages it published and marked done
	full      bool // it read a full batch: more may be waiting
}

// round reads a batch of pending messages, publishes them in order until
// one fails, and marks done those the broker has.
func (r *Relay) round(ctx context.Context) (result, error) {
	batch, err := r.store.Pending(ctx, r.cfg.Batch)
	if err != nil {
		return result{pending: r.pendingNow()}, fmt.Errorf("read the outbox: %w", err)
	}
	res := result{pending: len(batch), full: len(batch) == r.cfg.Batch}
	if res.full {
		if n, err := r.store.Count(ctx); err == nil {
			res.pending = max(n, len(batch))
		}
	}
	r.setBacklog(res.pending, batch)
	if len(batch) == 0 {
		return res, nil
	}

	var published []string
	var perr error
	for _, m := range batch {
		pctx, cancel := context.WithTimeout(ctx, r.cfg.PublishTimeout)
		perr = r.pub.Publish(pctx, m)
		cancel()
		if perr != nil {
			perr = fmt.Errorf("publish event %s on %s: %w", m.ID, m.Subject, perr)
			break
		}
		published = append(published, m.ID)
	}
	if len(published) > 0 {
		// Mark even after ctx ended: the broker has them.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), doneTimeout)
		err := r.store.Done(dctx, published)
		cancel()
		if err != nil {
			return res, errors.Join(perr, fmt.Errorf("mark %d published events done: %w", len(published), err))
		}
		res.published = len(published)
		r.counts.published.Add(float64(len(published)))
		r.setBacklog(res.pending-len(published), batch[len(published):])
	}
	return res, perr
}

// setBacklog records the backlog for the metrics: n pending messages, of
// which rest are the oldest ones.
func (r *Relay) setBacklog(n int, rest []Message) {
	r.counts.pending.Set(float64(n))
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pending, r.oldest = n, time.Time{}
	if len(rest) > 0 {
		r.oldest = rest[0].CreatedAt
	}
}

// pendingNow is the backlog the metrics show.
func (r *Relay) pendingNow() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.pending
}

// oldestAge is the age of the oldest pending message, in seconds.
func (r *Relay) oldestAge() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.oldest.IsZero() {
		return 0
	}
	return max(0, r.now().Sub(r.oldest).Seconds())
}

// backoff is the wait after the failures-th failure in a row.
func (r *Relay) backoff(failures int) time.Duration {
	d := r.cfg.MinBackoff
	for i := 1; i < failures && d < r.cfg.MaxBackoff; i++ {
		d *= 2
	}
	return min(d, r.cfg.MaxBackoff)
}

// sleep waits for d, until ctx is done, or until kick (when not nil) has
// a value.
func sleep(ctx context.Context, d time.Duration, kick <-chan struct{}) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	case <-kick:
	}
}
