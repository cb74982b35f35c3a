// Package notification is the notification service's domain: the events it
// reacts to (a user created, a consignment booked), the mails they call
// for, and the rule that each event is mailed about once. It owns the
// interfaces of its neighbours: the Mailer that sends a Mail and the
// Repository that remembers recipients and the events handled. It imports
// neither protobuf, nor a broker, nor a database driver.
package notification

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Errors of the service. Callers test for them with errors.Is.
var (
	// ErrInvalid: an event that breaks a rule (an email with a line break,
	// say). Handling it again cannot help: the consumer parks it.
	ErrInvalid = errors.New("invalid event")
	// ErrUnknownUser: a booking of a user whose user.created event has not
	// been handled (yet). The consumer retries it, then parks it.
	ErrUnknownUser = errors.New("owner unknown")
	// ErrRejected: the mail server refused the mail for good (a 5xx
	// answer). Sending it again cannot help: the consumer parks it.
	ErrRejected = errors.New("mail rejected")
	// ErrUnavailable: the store did not answer; the event may be retried.
	ErrUnavailable = errors.New("unavailable")
)

// Kinds of mail, as recorded with the event that caused them.
const (
	KindWelcome      = "welcome"
	KindConfirmation = "booking-confirmation"
)

// Limits of the text fields of events that end up in a mail's headers.
const (
	maxNameLen  = 200
	maxEmailLen = 254 // RFC 5321's limit of a path
)

// Recipient is a user the service mails: learned from user.created.
type Recipient struct {
	UserID string
	Name   string
	Email  string
}

// Validate returns an error matching ErrInvalid when r cannot be a mail's
// recipient: no user id or email, a name or email too long, with a
// control character (a line break would inject a header), or an email
// without one "@".
func (r Recipient) Validate() error {
	if r.UserID == "" {
		return fmt.Errorf("%w: user_id missing", ErrInvalid)
	}
	if err := checkText("user_id", r.UserID, maxNameLen); err != nil {
		return err
	}
	if err := checkText("name", r.Name, maxNameLen); err != nil {
		return err
	}
	if err := checkText("email", r.Email, maxEmailLen); err != nil {
		return err
	}
	local, domain, ok := strings.Cut(r.Email, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") || strings.ContainsAny(r.Email, " <>\"") {
		return fmt.Errorf("%w: email %q is not an address", ErrInvalid, r.Email)
	}
	return nil
}

// checkText refuses a value longer than max bytes, not UTF-8, or with a
// control character.
func checkText(field, value string, max int) error {
	switch {
	case len(value) > max:
		return fmt.Errorf("%w: %s longer than %d bytes", ErrInvalid, field, max)
	case !utf8.ValidString(value):
		return fmt.Errorf("%w: %s not valid UTF-8", ErrInvalid, field)
	case strings.IndexFunc(value, unicode.IsControl) >= 0:
		return fmt.Errorf("%w: %s contains a control character", ErrInvalid, field)
	}
	return nil
}

// UserCreated is a user.created event.
type UserCreated struct {
	EventID string
	User    Recipient
}

// ConsignmentBooked is a consignment.booked event.
type ConsignmentBooked struct {
	EventID       string
	ConsignmentID string
	UserID        string
	VesselID      string
	Containers    int
	Weight        int
	BookedAt      time.Time
}

// Validate returns an error matching ErrInvalid when an id is missing,
// longer than 200 bytes or holds a control character (the ids go into the
// mail's subject), or a count is negative.
func (e ConsignmentBooked) Validate() error {
	for _, f := range []struct{ name, value string }{
		{"event_id", e.EventID}, {"consignment_id", e.ConsignmentID}, {"user_id", e.UserID}, {"vessel_id", e.VesselID},
	} {
		if f.value == "" {
			return fmt.Errorf("%w: %s missing", ErrInvalid, f.name)
		}
		if err := checkText(f.name, f.value, maxNameLen); err != nil {
			return err
		}
	}
	if e.Containers < 0 || e.Weight < 0 {
		return fmt.Errorf("%w: containers or weight negative", ErrInvalid)
	}
	return nil
}

// Mail is a plain-text mail to one recipient. ID is the id of the event
// that caused it: the Mailer makes the Message-ID of it, so that the rare
// second sending of one mail (see Service) carries the same Message-ID.
type Mail struct {
	ID      string
	To      Recipient
	Subject string
	Body    string
}

// Mailer sends mail.
type Mailer interface {
	// Send hands m to the mail server, and returns nil once the server
	// has accepted it. Errors matching ErrRejected are final; any other
	// error may pass on another try.
	Send(ctx context.Context, m Mail) error
}

// Sent is the record of a mail sent for an event.
type Sent struct {
	EventID string
	Kind    string // KindWelcome or KindConfirmation
	UserID  string
	SentAt  time.Time
}

// Repository remembers the recipients and the events handled.
// Implementations are safe for concurrent use. Errors besides those named:
// ErrUnavailable when the store cannot be reached; anything else is
// internal.
type Repository interface {
	// SaveRecipient stores r under r.UserID, replacing what was there.
	SaveRecipient(ctx context.Context, r Recipient) error
	// Recipient returns the recipient stored under userID, or
	// ErrUnknownUser.
	Recipient(ctx context.Context, userID string) (Recipient, error)
	// Handled reports whether a mail has been recorded sent for the event
	// with the id (RecordSent).
	Handled(ctx context.Context, eventID string) (bool, error)
	// RecordSent records that the mail of s.EventID was sent: from then on
	// Handled reports true for it. Recording an event again changes
	// nothing and returns nil.
	RecordSent(ctx context.Context, s Sent) error
}

// recordTimeout bounds RecordSent after a mail was sent: it runs even when
// the handling's context has ended, since a mail sent and not recorded is
// sent again on the redelivery.
const recordTimeout = 10 * time.Second

// Service sends the mail each event calls for, once.
//
// Once means: the event's id is recorded in the Repository right after the
// Mailer has the mail accepted, and an event whose id is recorded sends
// nothing. A crash (or a store failure) between the server's acceptance and
// the record leaves the event unrecorded, so its redelivery sends the mail a
// second time, with the same Message-ID. The window is one store write; see
// docs/notifications.md.
type Service struct {
	repo   Repository
	mailer Mailer
	now    func() time.Time
}

// NewService returns a Service on repo and mailer, reading the time with
// now.
func NewService(repo Repository, mailer Mailer, now func() time.Time) (*Service, error) {
	switch {
	case repo == nil:
		return nil, errors.New("new notification service: nil repository")
	case mailer == nil:
		return nil, errors.New("new notification service: nil mailer")
	case now == nil:
		return nil, errors.New("new notification service: nil clock")
	}
	return &Service{repo: repo, mailer: mailer, now: now}, nil
}

// UserCreated remembers the user as a recipient, then sends them the
// welcome mail unless it was sent for this event. The recipient is saved
// before the mail, so that the user's bookings are confirmed even while
// their welcome mail fails. Errors: ErrInvalid, ErrRejected, ErrUnavailable,
// or the mailer's.
func (s *Service) UserCreated(ctx context.Context, e UserCreated) error {
	if e.EventID == "" {
		return fmt.Errorf("user created: %w: event_id missing", ErrInvalid)
	}
	if err := e.User.Validate(); err != nil {
		return fmt.Errorf("user created %s: %w", e.EventID, err)
	}
	if err := s.repo.SaveRecipient(ctx, e.User); err != nil {
		return fmt.Errorf("user created %s: save recipient: %w", e.EventID, err)
	}
	return s.sendOnce(ctx, KindWelcome, welcome(e))
}

// ConsignmentBooked sends the booking's confirmation to its owner, unless
// it was sent for this event. Errors: ErrInvalid; ErrUnknownUser when the
// owner's user.created has not been handled; ErrRejected, ErrUnavailable,
// or the mailer's.
func (s *Service) ConsignmentBooked(ctx context.Context, e ConsignmentBooked) error {
	if err := e.Validate(); err != nil {
		return fmt.Errorf("consignment booked %s: %w", e.EventID, err)
	}
	to, err := s.repo.Recipient(ctx, e.UserID)
	if err != nil {
		return fmt.Errorf("consignment booked %s: owner %q: %w", e.EventID, e.UserID, err)
	}
	return s.sendOnce(ctx, KindConfirmation, confirmation(e, to))
}

// sendOnce sends m, of the kind, and records it sent, unless the event m
// is of was recorded before.
func (s *Service) sendOnce(ctx context.Context, kind string, m Mail) error {
	handled, err := s.repo.Handled(ctx, m.ID)
	if err != nil {
		return fmt.Errorf("event %s: %w", m.ID, err)
	}
	if handled {
		return nil
	}
	if err := s.mailer.Send(ctx, m); err != nil {
		return fmt.Errorf("event %s: send %s mail: %w", m.ID, kind, err)
	}
	// Record at once, even if ctx has just ended: every moment between the
	// server's acceptance and the record is one in which a crash sends the
	// mail again.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	sent := Sent{EventID: m.ID, Kind: kind, UserID: m.To.UserID, SentAt: s.now()}
	if err := s.repo.RecordSent(rctx, sent); err != nil {
		return fmt.Errorf("event %s: %s mail sent but not recorded: %w", m.ID, kind, err)
	}
	return nil
}
