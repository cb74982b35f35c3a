package events

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"
)

// Decoding errors. A consumer parks an event whose Decode fails with either:
// a redelivery cannot make it readable.
var (
	// ErrMalformed: the payload is not the message, or lacks a field every
	// event of its kind has.
	ErrMalformed = errors.New("malformed event")
	// ErrUnknownVersion: the event's version is not Version.
	ErrUnknownVersion = errors.New("unknown event version")
)

// Message is an event message of this package.
type Message interface {
	proto.Message
	GetEventId() string
	GetVersion() uint32
	// Validate reports the first field an event of the kind must have and
	// m lacks, as an error matching ErrMalformed.
	Validate() error
}

var (
	_ Message = (*UserCreated)(nil)
	_ Message = (*ConsignmentBooked)(nil)
)

// Decode reads payload into m and checks it: the version must be Version
// (else ErrUnknownVersion), the event id must be id, the id the broker
// delivered it under (else ErrMalformed: the broker's deduplication and the
// consumer's would disagree), and m must pass Validate. The errors name the
// field at fault and never hold the payload.
func Decode(id string, payload []byte, m Message) error {
	if err := proto.Unmarshal(payload, m); err != nil {
		return fmt.Errorf("%w: not a %s: %v", ErrMalformed, m.ProtoReflect().Descriptor().Name(), err)
	}
	if v := m.GetVersion(); v != Version {
		return fmt.Errorf("%w: version %d, want %d", ErrUnknownVersion, v, Version)
	}
	if err := m.Validate(); err != nil {
		return err
	}
	if m.GetEventId() != id {
		return fmt.Errorf("%w: event_id %q differs from the message id %q", ErrMalformed, m.GetEventId(), id)
	}
	return nil
}

// Encode checks m with Validate, as Decode would, and returns its payload:
// a publisher never sends an event its consumers would park.
func Encode(m Message) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	data, err := proto.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("marshal %s: %w", m.ProtoReflect().Descriptor().Name(), err)
	}
	return data, nil
}

// Validate reports the first missing field of a UserCreated, as an error
// matching ErrMalformed.
func (m *UserCreated) Validate() error {
	return missing(
		field{"event_id", m.GetEventId() != ""},
		field{"occurred_at_unix_millis", m.GetOccurredAtUnixMillis() > 0},
		field{"user_id", m.GetUserId() != ""},
		field{"email", m.GetEmail() != ""},
	)
}

// Validate reports the first missing or impossible field of a
// ConsignmentBooked, as an error matching ErrMalformed.
func (m *ConsignmentBooked) Validate() error {
	return missing(
		field{"event_id", m.GetEventId() != ""},
		field{"booked_at_unix_millis", m.GetBookedAtUnixMillis() > 0},
		field{"consignment_id", m.GetConsignmentId() != ""},
		field{"user_id", m.GetUserId() != ""},
		field{"vessel_id", m.GetVesselId() != ""},
		field{"containers", m.GetContainers() >= 0},
		field{"weight", m.GetWeight() >= 0},
	)
}

// field is one check of Validate: ok is false when the field is missing or
// out of range.
type field struct {
	name string
	ok   bool
}

// missing answers ErrMalformed naming the first field that is not ok.
func missing(fields ...field) error {
	for _, f := range fields {
		if !f.ok {
			return fmt.Errorf("%w: %s missing or out of range", ErrMalformed, f.name)
		}
	}
	return nil
}
