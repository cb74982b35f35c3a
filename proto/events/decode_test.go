package events_test

import (
	"errors"
	"strings"
	"testing"

	eventspb "github.com/shippy-suite/shippy/proto/events"
	"google.golang.org/protobuf/proto"
)

// validUser and validBooking are events Decode accepts under the id "e-1".
func validUser() *eventspb.UserCreated {
	return &eventspb.UserCreated{
		EventId: "e-1", Version: eventspb.Version, OccurredAtUnixMillis: 1700000000000,
		UserId: "u-1", Name: "Ada", Email: "ada@example.com",
	}
}

func validBooking() *eventspb.ConsignmentBooked {
	return &eventspb.ConsignmentBooked{
		EventId: "e-1", Version: eventspb.Version, BookedAtUnixMillis: 1700000000000,
		ConsignmentId: "c-1", UserId: "u-1", VesselId: "v-1", Containers: 3, Weight: 5000,
	}
}

func mustMarshal(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatalf("marshal %T: %v", m, err)
	}
	return b
}

func TestDecode(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		id      string
		payload proto.Message
		raw     []byte // used when payload is nil
		into    func() eventspb.Message
		want    error
	}{
		{name: "user created", id: "e-1", payload: validUser(), into: func() eventspb.Message { return &eventspb.UserCreated{} }},
		{name: "consignment booked", id: "e-1", payload: validBooking(), into: func() eventspb.Message { return &eventspb.ConsignmentBooked{} }},
		{name: "not protobuf", id: "e-1", raw: []byte{0xff, 0xff, 0xff}, into: func() eventspb.Message { return &eventspb.UserCreated{} }, want: eventspb.ErrMalformed},
		{name: "empty payload has version 0", id: "", raw: nil, into: func() eventspb.Message { return &eventspb.UserCreated{} }, want: eventspb.ErrUnknownVersion},
		{name: "version 2", id: "e-1", payload: func() proto.Message { m := validUser(); m.Version = 2; return m }(), into: func() eventspb.Message { return &eventspb.UserCreated{} }, want: eventspb.ErrUnknownVersion},
		{name: "id differs from the message id", id: "e-2", payload: validUser(), into: func() eventspb.Message { return &eventspb.UserCreated{} }, want: eventspb.ErrMalformed},
		{name: "no user id", id: "e-1", payload: func() proto.Message { m := validUser(); m.UserId = ""; return m }(), into: func() eventspb.Message { return &eventspb.UserCreated{} }, want: eventspb.ErrMalformed},
		{name: "no email", id: "e-1", payload: func() proto.Message { m := validUser(); m.Email = ""; return m }(), into: func() eventspb.Message { return &eventspb.UserCreated{} }, want: eventspb.ErrMalformed},
		{name: "no booking time", id: "e-1", payload: func() proto.Message { m := validBooking(); m.BookedAtUnixMillis = 0; return m }(), into: func() eventspb.Message { return &eventspb.ConsignmentBooked{} }, want: eventspb.ErrMalformed},
		{name: "negative weight", id: "e-1", payload: func() proto.Message { m := validBooking(); m.Weight = -1; return m }(), into: func() eventspb.Message { return &eventspb.ConsignmentBooked{} }, want: eventspb.ErrMalformed},
		{name: "no vessel", id: "e-1", payload: func() proto.Message { m := validBooking(); m.VesselId = ""; return m }(), into: func() eventspb.Message { return &eventspb.ConsignmentBooked{} }, want: eventspb.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			raw := tt.raw
			if tt.payload != nil {
				raw = mustMarshal(t, tt.payload)
			}
			got := tt.into()
			err := eventspb.Decode(tt.id, raw, got)
			if !errors.Is(err, tt.want) || (err != nil) != (tt.want != nil) {
				t.Fatalf("Decode = %v, want %v", err, tt.want)
			}
			if err == nil && !proto.Equal(got, tt.payload) {
				t.Errorf("Decode read %v, want %v", got, tt.payload)
			}
		})
	}
}

// TestNoSecrets keeps passwords and hashes out of the events: no field of
// any event message is named like one.
func TestNoSecrets(t *testing.T) {
	t.Parallel()
	for _, m := range []proto.Message{&eventspb.UserCreated{}, &eventspb.ConsignmentBooked{}} {
		fields := m.ProtoReflect().Descriptor().Fields()
		for i := range fields.Len() {
			name := string(fields.Get(i).Name())
			for _, bad := range []string{"password", "hash", "secret", "token"} {
				if strings.Contains(name, bad) {
					t.Errorf("%T has a field %q", m, name)
				}
			}
		}
	}
}

// FuzzDecode feeds Decode any id and payload: it answers nil or an error
// matching ErrMalformed or ErrUnknownVersion, and what it accepts has the
// id it was given, version Version, and passes Validate.
func FuzzDecode(f *testing.F) {
	f.Add("e-1", mustMarshalF(f, validUser()), true)
	f.Add("e-1", mustMarshalF(f, validBooking()), false)
	f.Add("", []byte{}, true)
	f.Add("e-1", []byte{0x0a, 0x80}, false)
	f.Fuzz(func(t *testing.T, id string, payload []byte, user bool) {
		var m eventspb.Message = &eventspb.ConsignmentBooked{}
		if user {
			m = &eventspb.UserCreated{}
		}
		err := eventspb.Decode(id, payload, m)
		if err != nil {
			if !errors.Is(err, eventspb.ErrMalformed) && !errors.Is(err, eventspb.ErrUnknownVersion) {
				t.Fatalf("Decode = %v, want nil, ErrMalformed or ErrUnknownVersion", err)
			}
			return
		}
		if m.GetEventId() != id || m.GetVersion() != eventspb.Version || m.Validate() != nil {
			t.Fatalf("Decode accepted %v under id %q", m, id)
		}
	})
}

func mustMarshalF(f *testing.F, m proto.Message) []byte {
	f.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		f.Fatalf("marshal %T: %v", m, err)
	}
	return b
}

// TestEncode checks that Encode gives what Decode reads back, and refuses
// an event Decode would refuse.
func TestEncode(t *testing.T) {
	t.Parallel()
	want := validBooking()
	data, err := eventspb.Encode(want)
	if err != nil {
		t.Fatalf("Encode: %v", err)
	}
	var got eventspb.ConsignmentBooked
	if err := eventspb.Decode(want.GetEventId(), data, &got); err != nil || !proto.Equal(want, &got) {
		t.Errorf("Decode(Encode(%v)) = %v, %v; want it back", want, &got, err)
	}
	noVessel := validBooking()
	noVessel.VesselId = ""
	if data, err := eventspb.Encode(noVessel); !errors.Is(err, eventspb.ErrMalformed) || data != nil {
		t.Errorf("Encode(no vessel_id) = %d bytes, %v; want ErrMalformed", len(data), err)
	}
}
