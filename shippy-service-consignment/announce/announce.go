// Package announce makes the consignment service's events (proto/events),
// for the store's outbox: the adapter that keeps protobuf out of the
// consignment domain (consignment.Announcer).
package announce

import (
	"errors"
	"fmt"

	"github.com/shippy-suite/shippy/platform/outbox"
	eventspb "github.com/shippy-suite/shippy/proto/events"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
)

// Announcer makes the events of the consignment service.
type Announcer struct {
	newID func() string
}

var _ consignment.Announcer = (*Announcer)(nil)

// New returns an Announcer that gives each event an id from newID
// (uuid.NewString in production).
func New(newID func() string) (*Announcer, error) {
	if newID == nil {
		return nil, errors.New("new announcer: nil id generator")
	}
	return &Announcer{newID: newID}, nil
}

// Booked returns the eventspb.ConsignmentBooked of c, on
// eventspb.SubjectConsignmentBooked, of eventspb.Version, booked at c's
// CreatedAt (also the message's), by c's Owner. It fails for a c the event
// cannot describe (eventspb.ErrMalformed: no owner, say) and an empty id.
func (a *Announcer) Booked(c consignment.Consignment) (outbox.Message, error) {
	ev := &eventspb.ConsignmentBooked{
		EventId:            a.newID(),
		Version:            eventspb.Version,
		BookedAtUnixMillis: c.CreatedAt.UnixMilli(),
		ConsignmentId:      c.ID,
		UserId:             c.Owner,
		VesselId:           c.VesselID,
		Containers:         int32(len(c.Containers)),
		Weight:             c.Weight,
	}
	data, err := eventspb.Encode(ev)
	if err != nil {
		return outbox.Message{}, fmt.Errorf("consignment %q booked: %w", c.ID, err)
	}
	return outbox.Message{ID: ev.EventId, Subject: eventspb.SubjectConsignmentBooked, Data: data, CreatedAt: c.CreatedAt}, nil
}
