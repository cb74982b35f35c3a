package events

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	microevents "go-micro.dev/v5/events"
)

// Keys of Event.Metadata by which Park and Fail tell the Nack what to do.
// Publishers cannot set them (the "Shippy-" prefix is reserved).
const (
	metaPark  = "Shippy-Park"
	metaError = "Shippy-Error"
)

const (
	// fetchWait is how long a pull waits for events before it is renewed.
	fetchWait = 5 * time.Second
	// fullWait is how often a consumer whose channel is full looks again.
	fullWait = 20 * time.Millisecond
	// retryMin and retryMax bound the wait between a consumer's attempts
	// to set itself up or to fetch after a failure.
	retryMin = 100 * time.Millisecond
	retryMax = 2 * time.Second
)

// Consume returns the events published on topic for the consumer group
// events.WithGroup names, which is required: the group's durable consumer
// is created on first use, keeps its place across restarts, and is shared
// by every Stream consuming with that group, each event going to one of
// them. A new group starts at the oldest event kept (MaxAge), or at
// events.WithOffset's time; the offset counts only when the group is new.
//
// Each event must be settled: Ack once handled (it is not delivered again),
// or Nack (it is delivered again after Config.Backoff), or Park or Fail.
// An event neither acked nor nacked within the ack wait
// (events.WithAutoAck(false, wait), DefaultAckWait by default) is delivered
// again. After events.WithRetryLimit retries (DefaultRetryLimit; -1 for no
// limit) a Nack parks the event on DeadLetterSubject(topic), with headers
// that say why (HeaderDeadReason and the others), instead of redelivering
// it; so does a delivery past the limit, as when the handler crashed on
// each one. events.WithAutoAck(true, ...) is refused: acking on receipt
// loses an event whose handler fails.
//
// The channel holds at most Config.Buffer events, and the consumer fetches
// no more than it has room for. It is closed by Close. When the broker is
// down, Consume still returns the channel, and the consumer starts once the
// broker is up. Errors: events.ErrMissingTopic, ErrInvalid (the topic, the
// group, an option), ErrClosed, and the broker's refusal of the consumer.
func (s *Stream) Consume(topic string, opts ...microevents.ConsumeOption) (<-chan microevents.Event, error) {
	c, err := s.newConsumer(topic, opts)
	if err != nil {
		return nil, fmt.Errorf("events: consume %s: %w", topic, err)
	}
	var cons jetstream.Consumer
	if s.nc.IsConnected() {
		ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Timeout)
		cons, err = c.open(ctx)
		cancel()
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) {
			return nil, fmt.Errorf("events: consume %s: %w", topic, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("events: consume %s: %w", topic, ErrClosed)
	}
	s.wg.Add(1)
	go c.run(s.ctx, cons)
	return c.ch, nil
}

// consumer is one Consume: a group's durable consumer of one topic.
type consumer struct {
	s     *Stream
	topic string
	group string
	name  string
	// maxDeliveries is the delivery at which a Nack parks; 0 for none.
	maxDeliveries uint64
	ackWait       time.Duration
	offset        time.Time
	ch            chan microevents.Event
	// failing is true from a failure of the consumer's loop to the next
	// success, so that an outage is logged once.
	failing bool
}

// newConsumer checks the options of a Consume.
func (s *Stream) newConsumer(topic string, opts []microevents.ConsumeOption) (*consumer, error) {
	if topic == "" {
		return nil, microevents.ErrMissingTopic
	}
	if err := checkTopic(topic); err != nil {
		return nil, err
	}
	var o microevents.ConsumeOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.Group == "" {
		return nil, fmt.Errorf("%w: no group (events.WithGroup): an ephemeral consumer loses events", ErrInvalid)
	}
	if err := checkGroup(o.Group); err != nil {
		return nil, err
	}
	if o.AutoAck {
		return nil, fmt.Errorf("%w: events.WithAutoAck(true): events are acked by the handler only", ErrInvalid)
	}
	if o.AckWait < 0 {
		return nil, fmt.Errorf("%w: negative ack wait %s", ErrInvalid, o.AckWait)
	}
	if o.AckWait == 0 {
		o.AckWait = DefaultAckWait
	}
	retries := DefaultRetryLimit
	if o.CustomRetries {
		retries = o.RetryLimit
	}
	var maxDeliveries uint64
	switch {
	case retries >= 0:
		maxDeliveries = uint64(retries) + 1
	case retries != -1:
		return nil, fmt.Errorf("%w: retry limit %d (want -1 for none, or 0 or more)", ErrInvalid, retries)
	}
	if s.isClosed() {
		return nil, ErrClosed
	}
	return &consumer{
		s:             s,
		topic:         topic,
		group:         o.Group,
		name:          consumerName(o.Group, topic),
		maxDeliveries: maxDeliveries,
		ackWait:       o.AckWait,
		offset:        o.Offset,
		ch:            make(chan microevents.Event, s.cfg.Buffer),
	}, nil
}

// open creates or updates the group's durable consumer, after the streams.
// An existing consumer keeps where it started.
func (c *consumer) open(ctx context.Context) (jetstream.Consumer, error) {
	if err := c.s.ensureStreams(ctx); err != nil {
		return nil, err
	}
	cfg := jetstream.ConsumerConfig{
		Durable:       c.name,
		Description:   fmt.Sprintf("group %s of %s", c.group, c.topic),
		FilterSubject: c.topic,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       c.ackWait,
		// Unlimited on the broker: at the limit the consumer parks the
		// event, where the broker would stop delivering it and keep it.
		MaxDeliver:    -1,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
	if !c.offset.IsZero() {
		start := c.offset
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	}
	existing, err := c.s.js.Consumer(ctx, StreamName, c.name)
	switch {
	case err == nil:
		info := existing.CachedInfo()
		cfg.DeliverPolicy, cfg.OptStartTime = info.Config.DeliverPolicy, info.Config.OptStartTime
	case !errors.Is(err, jetstream.ErrConsumerNotFound):
		return nil, fmt.Errorf("events: look up consumer %s: %w", c.name, err)
	}
	cons, err := c.s.js.CreateOrUpdateConsumer(ctx, StreamName, cfg)
	if err != nil {
		return nil, fmt.Errorf("events: create or update consumer %s: %w", c.name, err)
	}
	return cons, nil
}

// run fetches events into c.ch until ctx ends, setting the consumer up
// (again) whenever it is missing or a fetch failed, then closes c.ch.
func (c *consumer) run(ctx context.Context, cons jetstream.Consumer) {
	defer c.s.wg.Done()
	defer close(c.ch)
	wait := retryMin
	retry := func(what string, err error) {
		c.fail(what, err)
		sleep(ctx, wait)
		wait = min(2*wait, retryMax)
	}
	for ctx.Err() == nil {
		if !c.s.nc.IsConnected() {
			retry("connect", ErrNotConnected)
			continue
		}
		if cons == nil {
			var err error
			if cons, err = c.open(ctx); err != nil {
				retry("set up", err)
				continue
			}
		}
		free := cap(c.ch) - len(c.ch)
		if free == 0 {
			sleep(ctx, fullWait)
			continue
		}
		if err := c.fetch(ctx, cons, free); err != nil {
			// Set the consumer up again: the broker may have lost it.
			cons = nil
			retry("fetch", err)
			continue
		}
		wait = retryMin
		if c.failing {
			c.failing = false
			c.s.log.Info("events: consuming", "topic", c.topic, "group", c.group)
		}
	}
}

// fail logs a failure of the consumer's loop: the first of a run at Warn,
// the rest at Debug.
func (c *consumer) fail(what string, err error) {
	level := c.s.log.Debug
	if !c.failing {
		c.failing = true
		level = c.s.log.Warn
	}
	level("events: consumer waiting", "topic", c.topic, "group", c.group, "step", what, "error", err)
}

// fetch pulls at most n events and hands them to c.ch, until the pull
// expires or ctx ends. Only this loop sends on c.ch, so the n it has room
// for never block.
func (c *consumer) fetch(ctx context.Context, cons jetstream.Consumer, n int) error {
	batch, err := cons.Fetch(n, jetstream.FetchMaxWait(fetchWait))
	if err != nil {
		return err
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case msg, ok := <-batch.Messages():
			if !ok {
				return batch.Error()
			}
			c.deliver(ctx, msg)
		}
	}
}

// deliver hands msg to c.ch as an Event, or parks it when it has no id or
// was delivered past the limit.
func (c *consumer) deliver(ctx context.Context, msg jetstream.Msg) {
	meta, err := msg.Metadata()
	if err != nil {
		// Not a JetStream message: it cannot be acked; nothing to do.
		c.s.log.Error("events: message without metadata", "topic", c.topic, "group", c.group, "error", err)
		return
	}
	d := &delivery{c: c, msg: msg, n: meta.NumDelivered, seq: meta.Sequence.Stream, id: msg.Headers().Get(MetadataID)}
	switch {
	case d.id == "":
		d.park(fmt.Sprintf("no event id (%s header)", MetadataID))
		return
	case c.maxDeliveries > 0 && d.n > c.maxDeliveries:
		d.park(fmt.Sprintf("delivery %d is past the limit of %d: earlier ones were neither acked nor nacked", d.n, c.maxDeliveries))
		return
	}
	md := metadata(msg.Headers(), d.n)
	ev := microevents.Event{
		ID:        d.id,
		Topic:     msg.Subject(),
		Timestamp: eventTime(msg.Headers(), meta.Timestamp),
		Metadata:  md,
		Payload:   msg.Data(),
	}
	ev.SetAckFunc(d.ack)
	ev.SetNackFunc(func() error { return d.nack(md) })
	select {
	case c.ch <- ev:
	case <-ctx.Done():
	}
}

// metadata is an event's Metadata: its publisher's metadata, and
// MetadataDeliveries.
func metadata(h nats.Header, deliveries uint64) map[string]string {
	md := make(map[string]string, len(h)+1)
	for k, vs := range h {
		if !reserved(k) && len(vs) > 0 {
			md[k] = vs[0]
		}
	}
	md[MetadataDeliveries] = strconv.FormatUint(deliveries, 10)
	return md
}

// eventTime is the time in HeaderTime, or stored when it has none.
func eventTime(h nats.Header, stored time.Time) time.Time {
	if t, err := time.Parse(time.RFC3339Nano, h.Get(HeaderTime)); err == nil {
		return t
	}
	return stored
}

// delivery is one delivery of an event to a consumer, settled once.
type delivery struct {
	c   *consumer
	msg jetstream.Msg
	id  string
	n   uint64 // the delivery count, from 1
	seq uint64 // the sequence in StreamName

	mu      sync.Mutex
	settled bool
}

// ack acknowledges the event and waits for the broker to confirm it. A
// failed ack may be tried again; the event is redelivered if none succeeds.
func (d *delivery) ack() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.settled {
		return ErrSettled
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.c.s.cfg.Timeout)
	defer cancel()
	if err := d.msg.DoubleAck(ctx); err != nil {
		return fmt.Errorf("events: ack %s: %w", d.id, err)
	}
	d.settled = true
	return nil
}

// nack parks the event when md asks for it (Park) or this was its last
// delivery, and otherwise has it redelivered after the backoff.
func (d *delivery) nack(md map[string]string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.settled {
		return ErrSettled
	}
	d.settled = true
	if reason, ok := md[metaPark]; ok {
		return d.park(reason)
	}
	if max := d.c.maxDeliveries; max > 0 && d.n >= max {
		reason := fmt.Sprintf("failed %d deliveries", d.n)
		if e := md[metaError]; e != "" {
			reason += ", the last with: " + e
		}
		return d.park(reason)
	}
	if err := d.msg.NakWithDelay(d.c.s.backoff(d.n)); err != nil {
		return fmt.Errorf("events: nack %s: %w", d.id, err)
	}
	return nil
}

// backoff is the wait before the redelivery that follows delivery n.
func (s *Stream) backoff(n uint64) time.Duration {
	i := min(max(n, 1), uint64(len(s.cfg.Backoff))) - 1
	return s.cfg.Backoff[i]
}

// park publishes the event on its dead-letter subject, with headers that
// say why, then terminates it: the group never sees it again. When the
// dead letter cannot be published, the event is redelivered after the
// longest backoff, and parked then.
func (d *delivery) park(reason string) error {
	s, c := d.c.s, d.c
	reason = headerValue(reason)
	dead := nats.NewMsg(DeadLetterSubject(d.msg.Subject()))
	dead.Data = d.msg.Data()
	for k, vs := range d.msg.Headers() {
		if !strings.HasPrefix(strings.ToLower(k), "nats-") {
			dead.Header[k] = vs
		}
	}
	dead.Header.Set(HeaderDeadSubject, d.msg.Subject())
	dead.Header.Set(HeaderDeadEventID, d.id)
	dead.Header.Set(HeaderDeadGroup, c.group)
	dead.Header.Set(HeaderDeadDeliveries, strconv.FormatUint(d.n, 10))
	dead.Header.Set(HeaderDeadReason, reason)
	dead.Header.Set(HeaderDeadSequence, strconv.FormatUint(d.seq, 10))
	// One dead letter per group and event, however often it is parked.
	deadID := c.group + ":" + d.id
	if d.id == "" {
		deadID = c.group + ":seq:" + strconv.FormatUint(d.seq, 10)
	}
	log := s.log.With("topic", d.msg.Subject(), "id", d.id, "group", c.group, "deliveries", d.n, "reason", reason)
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.Timeout)
	defer cancel()
	if _, err := s.js.PublishMsg(ctx, dead, jetstream.WithMsgID(deadID), jetstream.WithExpectStream(DeadStreamName)); err != nil {
		_ = d.msg.NakWithDelay(s.cfg.Backoff[len(s.cfg.Backoff)-1])
		log.Error("events: cannot park event; it will be delivered again", "error", err)
		return fmt.Errorf("events: park %s: %w", d.id, err)
	}
	if err := d.msg.TermWithReason(reason); err != nil {
		// Redelivered past the limit, parked again (the dead letter is
		// deduplicated), and terminated then.
		log.Warn("events: parked event not terminated", "error", err)
	}
	log.Warn("events: event parked", "dead_subject", dead.Subject)
	return nil
}

// Park nacks e, an event of Consume, so that it is parked at once on its
// dead-letter subject with reason (HeaderDeadReason): for an event no
// redelivery can help, such as one that does not decode or whose version
// is unknown.
func Park(e *microevents.Event, reason string) error {
	if e.Metadata == nil {
		return fmt.Errorf("%w: park: not an event of Consume", ErrInvalid)
	}
	e.Metadata[metaPark] = reason
	return e.Nack()
}

// Fail nacks e, an event of Consume, after its handler failed with err: it
// is delivered again after the backoff, or, on its last delivery, parked
// with err in the reason.
func Fail(e *microevents.Event, err error) error {
	if e.Metadata == nil {
		return fmt.Errorf("%w: fail: not an event of Consume", ErrInvalid)
	}
	if err != nil {
		e.Metadata[metaError] = err.Error()
	}
	return e.Nack()
}

// sleep waits for d or the end of ctx.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
