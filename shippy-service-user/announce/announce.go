// Package announce makes the user service's events (proto/events), for
// the store's outbox: the adapter that keeps protobuf out of the user
// domain (user.Announcer).
package announce

import (
	"errors"
	"fmt"

	domainuser "github.com/shippy-suite/shippy/domain/user"
	"github.com/shippy-suite/shippy/platform/outbox"
	eventspb "github.com/shippy-suite/shippy/proto/events"
	"github.com/shippy-suite/shippy/shippy-service-user/user"
)

// Announcer makes the events of the user service.
type Announcer struct {
	newID func() string
}

var _ user.Announcer = (*Announcer)(nil)

// New returns an Announcer that gives each event an id from newID
// (uuid.NewString in production).
func New(newID func() string) (*Announcer, error) {
	if newID == nil {
		return nil, errors.New("new announcer: nil id generator")
	}
	return &Announcer{newID: newID}, nil
}

// Created returns the eventspb.UserCreated of u, on
// eventspb.SubjectUserCreated, of eventspb.Version, occurred at u's
// CreatedAt (also the message's): its id, name and email, nothing else. It
// fails for a u the event cannot describe (eventspb.ErrMalformed: no
// email, say) and an empty id.
func (a *Announcer) Created(u domainuser.User) (outbox.Message, error) {
	ev := &eventspb.UserCreated{
		EventId:              a.newID(),
		Version:              eventspb.Version,
		OccurredAtUnixMillis: u.CreatedAt.UnixMilli(),
		UserId:               u.ID,
		Name:                 u.Name,
		Email:                u.Email,
	}
	data, err := eventspb.Encode(ev)
	if err != nil {
		return outbox.Message{}, fmt.Errorf("user %q created: %w", u.ID, err)
	}
	return outbox.Message{ID: ev.EventId, Subject: eventspb.SubjectUserCreated, Data: data, CreatedAt: u.CreatedAt}, nil
}
