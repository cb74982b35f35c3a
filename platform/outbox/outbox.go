// Package outbox publishes events without losing any: a service writes an
// event into its store in the same atomic step as the fact the event
// announces, and a Relay publishes the store's pending events afterwards,
// each under its own id, and marks them done once the broker has them. A
// crash between the publish and the mark publishes the event again under
// the same id, which the broker drops (docs/outbox.md).
package outbox

import (
	"context"
	"errors"
	"time"

	microevents "go-micro.dev/v5/events"

	"github.com/shippy-suite/shippy/platform/events"
)

// Message is an event waiting in a store's outbox.
type Message struct {
	// ID is the event's id: unique per event, the same on every publish
	// of it (JetStream's message id).
	ID string
	// Subject is the topic it is published on.
	Subject string
	// Data is the payload, published as it is.
	Data []byte
	// CreatedAt is when the event was written, kept to the millisecond at
	// least; it is published as the event's time.
	CreatedAt time.Time
}

// Validate reports what makes m unpublishable: a missing id or subject.
func (m Message) Validate() error {
	switch {
	case m.ID == "":
		return errors.New("outbox: message without an id")
	case m.Subject == "":
		return errors.New("outbox: message without a subject")
	}
	return nil
}

// Store is the outbox of a store: the events written with the facts they
// announce, waiting to be published. Implementations are safe for
// concurrent use.
type Store interface {
	// Pending returns up to limit (> 0) pending messages, oldest first
	// (in the order they were written, as far as the store knows it).
	Pending(ctx context.Context, limit int) ([]Message, error)
	// Done removes the messages with the ids from the outbox; ids that
	// are not pending are skipped, so it may be repeated.
	Done(ctx context.Context, ids []string) error
	// Count returns how many messages are pending.
	Count(ctx context.Context) (int, error)
}

// Publisher sends a message to the broker and returns once the broker has
// stored it. On an error the message may or may not be stored: the relay
// publishes it again, under the same id.
type Publisher interface {
	Publish(ctx context.Context, m Message) error
}

// PublisherFunc is a function that is a Publisher.
type PublisherFunc func(ctx context.Context, m Message) error

// Publish calls f.
func (f PublisherFunc) Publish(ctx context.Context, m Message) error { return f(ctx, m) }

// StreamPublisher returns the Publisher of s: it publishes a message's
// Data on its Subject with its ID as the event id (Nats-Msg-Id, so the
// broker drops a republish within its duplicate window) and its CreatedAt
// as the event's time.
func StreamPublisher(s *events.Stream) Publisher {
	return PublisherFunc(func(ctx context.Context, m Message) error {
		return s.PublishContext(ctx, m.Subject, m.Data, microevents.WithTimestamp(m.CreatedAt), events.WithID(m.ID))
	})
}
