package events

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	microevents "go-micro.dev/v5/events"
	"google.golang.org/protobuf/proto"
)

// WithID sets the event id of a publish (metadata MetadataID): the broker
// stores one event per id within DuplicateWindow. Every publish needs one.
// It copies the metadata it adds to, so give it after events.WithMetadata,
// which replaces the metadata.
func WithID(id string) microevents.PublishOption {
	return func(o *microevents.PublishOptions) {
		md := make(map[string]string, len(o.Metadata)+1)
		maps.Copy(md, o.Metadata)
		md[MetadataID] = id
		o.Metadata = md
	}
}

// Publish is PublishContext bounded by Config.Timeout.
func (s *Stream) Publish(topic string, msg any, opts ...microevents.PublishOption) error {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Timeout)
	defer cancel()
	return s.PublishContext(ctx, topic, msg, opts...)
}

// PublishContext publishes msg, a []byte sent as it is or a proto.Message
// marshalled, on topic (below SubjectPrefix), and returns once the broker
// has stored it: at least once. The event id (WithID) is required; a
// republish of an id the broker stored within DuplicateWindow succeeds and
// stores nothing. Metadata (events.WithMetadata) travels as headers; its
// keys may not start with "Nats-" or "Shippy-". events.WithTimestamp sets
// the event's time (HeaderTime), the time of the publish by default.
//
// Errors: ErrInvalid, events.ErrMissingTopic, ErrMissingID,
// events.ErrEncodingMessage (another type of msg: nothing is guessed),
// ErrNotConnected at once while the broker is unreachable, ErrClosed, and
// the broker's refusal or ctx's end otherwise. On any error the event may
// or may not be stored: publish it again with the same id.
func (s *Stream) PublishContext(ctx context.Context, topic string, msg any, opts ...microevents.PublishOption) error {
	m, err := s.message(topic, msg, opts)
	if err != nil {
		return fmt.Errorf("events: publish %s: %w", topic, err)
	}
	if s.isClosed() {
		return fmt.Errorf("events: publish %s: %w", topic, ErrClosed)
	}
	if !s.nc.IsConnected() {
		return fmt.Errorf("events: publish %s: %w", topic, ErrNotConnected)
	}
	if err := s.ensureStreams(ctx); err != nil {
		return fmt.Errorf("events: publish %s: %w", topic, err)
	}
	if _, err := s.js.PublishMsg(ctx, m, jetstream.WithExpectStream(StreamName)); err != nil {
		if errors.Is(err, jetstream.ErrNoStreamResponse) {
			// The broker may have lost the stream: set it up again next time.
			s.ready.Store(false)
		}
		return fmt.Errorf("events: publish %s: %w", topic, err)
	}
	return nil
}

// message builds the NATS message of a publish.
func (s *Stream) message(topic string, msg any, opts []microevents.PublishOption) (*nats.Msg, error) {
	if topic == "" {
		return nil, microevents.ErrMissingTopic
	}
	if err := checkTopic(topic); err != nil {
		return nil, err
	}
	var o microevents.PublishOptions
	for _, opt := range opts {
		opt(&o)
	}
	id := o.Metadata[MetadataID]
	if id == "" {
		return nil, ErrMissingID
	}
	if err := checkMetadata(o.Metadata); err != nil {
		return nil, err
	}
	payload, err := encode(msg)
	if err != nil {
		return nil, err
	}
	m := nats.NewMsg(topic)
	m.Data = payload
	for k, v := range o.Metadata {
		m.Header.Set(k, v)
	}
	if o.Timestamp.IsZero() {
		o.Timestamp = time.Now()
	}
	m.Header.Set(HeaderTime, o.Timestamp.UTC().Format(time.RFC3339Nano))
	return m, nil
}

// encode returns the payload of msg: a []byte as it is, a proto.Message
// marshalled.
func encode(msg any) ([]byte, error) {
	switch m := msg.(type) {
	case []byte:
		return m, nil
	case proto.Message:
		b, err := proto.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", microevents.ErrEncodingMessage, err)
		}
		return b, nil
	default:
		return nil, fmt.Errorf("%w: %T is neither []byte nor a proto.Message", microevents.ErrEncodingMessage, msg)
	}
}
