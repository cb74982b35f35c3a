// Package consumer feeds the notification service's domain from the
// broker: a durable consumer of the group Group per event subject, shared
// by the service's replicas, each event decoded (proto/events.Decode),
// handled by the domain and then acked, retried after the broker's
// backoff when the handling failed, and parked (a dead letter) when it is
// malformed, of an unknown version, refused for good, or still failing
// after RetryLimit retries. See docs/notifications.md.
package consumer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	microevents "go-micro.dev/v5/events"

	"github.com/shippy-suite/shippy/platform/events"
	protoevents "github.com/shippy-suite/shippy/proto/events"
	"github.com/shippy-suite/shippy/shippy-service-notification/notification"
)

// Group is the consumer group of the notification service: its replicas
// share one durable consumer per subject, each event going to one of them.
const Group = "notification"

// RetryLimit is how often an event whose handling fails is delivered
// again (after 1s, 10s, 1m and 5m: events.DefaultBackoff) before it is
// parked: at most 5 deliveries in about 6 minutes.
const RetryLimit = events.DefaultRetryLimit

// AckWait is how long a delivery may stay unsettled before the broker
// delivers the event again: time for the Stream's buffer of events to be
// mailed one after the other (see Buffer).
const AckWait = 2 * time.Minute

// Buffer is the most events a consumer holds unhandled (events.Config's
// Buffer): Buffer mails at their timeout take AckWait.
const Buffer = 4

// handleTimeout bounds the handling of one event, the mail's own timeout
// included. It is not cut short by a stop: a mail being sent is finished
// and recorded.
const handleTimeout = time.Minute

// Outcomes of a delivery, as the events metric counts them.
const (
	outcomeAcked   = "acked"
	outcomeRetried = "retried"
	outcomeParked  = "parked"
)

// Handler is the domain's side of the consumer: notification.Service.
type Handler interface {
	UserCreated(ctx context.Context, e notification.UserCreated) error
	ConsignmentBooked(ctx context.Context, e notification.ConsignmentBooked) error
}

// Stream is the broker's side: platform/events.Stream.
type Stream interface {
	Consume(topic string, opts ...microevents.ConsumeOption) (<-chan microevents.Event, error)
}

// Consumer hands the events of a Stream to a Handler.
type Consumer struct {
	stream  Stream
	handler Handler
	logger  *slog.Logger
	events  *prometheus.CounterVec
}

// New returns a Consumer of stream's events for handler, logging to
// logger and counting deliveries, by subject and outcome, as
// shippy_notification_events_total in metrics.
func New(stream Stream, handler Handler, logger *slog.Logger, metrics prometheus.Registerer) (*Consumer, error) {
	switch {
	case stream == nil:
		return nil, errors.New("new consumer: nil stream")
	case handler == nil:
		return nil, errors.New("new consumer: nil handler")
	case logger == nil:
		return nil, errors.New("new consumer: nil logger")
	case metrics == nil:
		return nil, errors.New("new consumer: nil metrics registry")
	}
	counter := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "shippy_notification_events_total",
		Help: "Deliveries of events to the notification service, by subject and outcome (acked, retried, parked).",
	}, []string{"subject", "outcome"})
	if err := metrics.Register(counter); err != nil {
		return nil, fmt.Errorf("new consumer: %w", err)
	}
	return &Consumer{stream: stream, handler: handler, logger: logger, events: counter}, nil
}

// handlers are the subjects consumed and how each event is decoded and
// handled.
func (c *Consumer) handlers() map[string]func(ctx context.Context, e microevents.Event) error {
	return map[string]func(ctx context.Context, e microevents.Event) error{
		protoevents.SubjectUserCreated: func(ctx context.Context, e microevents.Event) error {
			var m protoevents.UserCreated
			if err := protoevents.Decode(e.ID, e.Payload, &m); err != nil {
				return err
			}
			return c.handler.UserCreated(ctx, userCreated(&m))
		},
		protoevents.SubjectConsignmentBooked: func(ctx context.Context, e microevents.Event) error {
			var m protoevents.ConsignmentBooked
			if err := protoevents.Decode(e.ID, e.Payload, &m); err != nil {
				return err
			}
			return c.handler.ConsignmentBooked(ctx, consignmentBooked(&m))
		},
	}
}

// Start consumes every subject until ctx is done, handling the events in
// goroutines of its own. wait returns once ctx is done and the events
// being handled are finished. Events taken from the broker and not handled
// are delivered again after AckWait. An error is the broker's refusal of a
// consumer; nothing is left running then.
func (c *Consumer) Start(ctx context.Context) (wait func(), err error) {
	type subscription struct {
		ch     <-chan microevents.Event
		handle func(context.Context, microevents.Event) error
	}
	var subs []subscription
	for subject, handle := range c.handlers() {
		ch, err := c.stream.Consume(subject,
			microevents.WithGroup(Group),
			microevents.WithAutoAck(false, AckWait),
			microevents.WithRetryLimit(RetryLimit))
		if err != nil {
			return nil, fmt.Errorf("consume %s: %w", subject, err)
		}
		subs = append(subs, subscription{ch, handle})
	}
	var wg sync.WaitGroup
	for _, sub := range subs {
		wg.Go(func() { c.loop(ctx, sub.ch, sub.handle) })
	}
	return wg.Wait, nil
}

// loop handles the events of ch one after the other until ctx is done or
// ch is closed.
func (c *Consumer) loop(ctx context.Context, ch <-chan microevents.Event, handle func(context.Context, microevents.Event) error) {
	for {
		select {
		case <-ctx.Done():
			return
		case e, ok := <-ch:
			if !ok {
				return
			}
			hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), handleTimeout)
			err := handle(hctx, e)
			cancel()
			c.settle(&e, err)
		}
	}
}

// settle acks e when it was handled (err nil), parks it when no delivery
// can help, and nacks it for a later delivery otherwise, logging why.
func (c *Consumer) settle(e *microevents.Event, err error) {
	log := c.logger.With("subject", e.Topic, "event_id", e.ID, "deliveries", e.Metadata[events.MetadataDeliveries])
	var outcome string
	var settleErr error
	switch {
	case err == nil:
		outcome, settleErr = outcomeAcked, e.Ack()
		log.Info("event handled")
	case errors.Is(err, protoevents.ErrMalformed), errors.Is(err, protoevents.ErrUnknownVersion),
		errors.Is(err, notification.ErrInvalid), errors.Is(err, notification.ErrRejected):
		outcome, settleErr = outcomeParked, events.Park(e, err.Error())
		log.Warn("event parked: no delivery can handle it", "reason", err.Error())
	default:
		outcome, settleErr = outcomeRetried, events.Fail(e, err)
		log.Warn("event not handled; it will be delivered again, or parked after the retry limit", "error", err, "retry_limit", RetryLimit)
	}
	c.events.WithLabelValues(e.Topic, outcome).Inc()
	if settleErr != nil {
		log.Error("event not settled; the broker delivers it again after the ack wait", "outcome", outcome, "error", settleErr)
	}
}

// userCreated is the domain's view of m.
func userCreated(m *protoevents.UserCreated) notification.UserCreated {
	return notification.UserCreated{
		EventID: m.GetEventId(),
		User:    notification.Recipient{UserID: m.GetUserId(), Name: m.GetName(), Email: m.GetEmail()},
	}
}

// consignmentBooked is the domain's view of m.
func consignmentBooked(m *protoevents.ConsignmentBooked) notification.ConsignmentBooked {
	return notification.ConsignmentBooked{
		EventID:       m.GetEventId(),
		ConsignmentID: m.GetConsignmentId(),
		UserID:        m.GetUserId(),
		VesselID:      m.GetVesselId(),
		Containers:    int(m.GetContainers()),
		Weight:        int(m.GetWeight()),
		BookedAt:      time.UnixMilli(m.GetBookedAtUnixMillis()).UTC(),
	}
}
