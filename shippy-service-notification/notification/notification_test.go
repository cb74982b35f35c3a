package notification_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/shippy-service-notification/notification"
	"github.com/shippy-suite/shippy/shippy-service-notification/store/memory"
)

// now is the clock of the tests.
var now = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeMailer records the mails it is given, and fails each with err.
type fakeMailer struct {
	mu   sync.Mutex
	sent []notification.Mail
	err  error
}

func (f *fakeMailer) Send(_ context.Context, m notification.Mail) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	f.sent = append(f.sent, m)
	return nil
}

// failingRepo is a memory store whose RecordSent fails with err.
type failingRepo struct {
	*memory.Store
	err error
}

func (r failingRepo) RecordSent(context.Context, notification.Sent) error { return r.err }

// ann is the user of the tests.
var ann = notification.Recipient{UserID: "u-1", Name: "Ann", Email: "ann@example.com"}

func userCreated(id string, r notification.Recipient) notification.UserCreated {
	return notification.UserCreated{EventID: id, User: r}
}

func booked(id, userID string) notification.ConsignmentBooked {
	return notification.ConsignmentBooked{
		EventID: id, ConsignmentID: "c-1", UserID: userID, VesselID: "vessel001",
		Containers: 3, Weight: 55000, BookedAt: now,
	}
}

func newService(t *testing.T, repo notification.Repository, mailer notification.Mailer) *notification.Service {
	t.Helper()
	s, err := notification.NewService(repo, mailer, func() time.Time { return now })
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	return s
}

func TestNewServiceRefusesNil(t *testing.T) {
	t.Parallel()
	clock := func() time.Time { return now }
	for name, call := range map[string]func() error{
		"repository": func() error { _, err := notification.NewService(nil, &fakeMailer{}, clock); return err },
		"mailer":     func() error { _, err := notification.NewService(memory.New(), nil, clock); return err },
		"clock":      func() error { _, err := notification.NewService(memory.New(), &fakeMailer{}, nil); return err },
	} {
		if err := call(); err == nil {
			t.Errorf("NewService with nil %s = nil error, want one", name)
		}
	}
}

// TestHandle runs events through a service and checks the mails sent and
// the errors, including an event handled a second time (a redelivery).
func TestHandle(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// handle runs the events; the errors are in order.
		handle   func(ctx context.Context, s *notification.Service) []error
		mailErr  error
		wantErrs []error // matched with errors.Is; nil for success
		// wantMails are the subjects of the mails sent, in order.
		wantMails []string
	}{
		{
			name: "welcome",
			handle: func(ctx context.Context, s *notification.Service) []error {
				return []error{s.UserCreated(ctx, userCreated("e-1", ann))}
			},
			wantErrs:  []error{nil},
			wantMails: []string{"Welcome to Shippy"},
		},
		{
			name: "welcome then booking",
			handle: func(ctx context.Context, s *notification.Service) []error {
				return []error{s.UserCreated(ctx, userCreated("e-1", ann)), s.ConsignmentBooked(ctx, booked("e-2", ann.UserID))}
			},
			wantErrs:  []error{nil, nil},
			wantMails: []string{"Welcome to Shippy", "Consignment c-1 booked on vessel vessel001"},
		},
		{
			name: "redelivered events send nothing again",
			handle: func(ctx context.Context, s *notification.Service) []error {
				return []error{
					s.UserCreated(ctx, userCreated("e-1", ann)), s.UserCreated(ctx, userCreated("e-1", ann)),
					s.ConsignmentBooked(ctx, booked("e-2", ann.UserID)), s.ConsignmentBooked(ctx, booked("e-2", ann.UserID)),
				}
			},
			wantErrs:  []error{nil, nil, nil, nil},
			wantMails: []string{"Welcome to Shippy", "Consignment c-1 booked on vessel vessel001"},
		},
		{
			name: "booking of an unknown owner",
			handle: func(ctx context.Context, s *notification.Service) []error {
				return []error{s.ConsignmentBooked(ctx, booked("e-2", "u-unknown"))}
			},
			wantErrs: []error{notification.ErrUnknownUser},
		},
		{
			name: "booking after a welcome that failed",
			handle: func(ctx context.Context, s *notification.Service) []error {
				return []error{s.UserCreated(ctx, userCreated("e-1", ann)), s.ConsignmentBooked(ctx, booked("e-2", ann.UserID))}
			},
			mailErr:  notification.ErrRejected,
			wantErrs: []error{notification.ErrRejected, notification.ErrRejected}, // the owner is known
		},
		{
			name: "email with a line break",
			handle: func(ctx context.Context, s *notification.Service) []error {
				bad := ann
				bad.Email = "ann@example.com\r\nBcc: all@example.com"
				return []error{s.UserCreated(ctx, userCreated("e-1", bad))}
			},
			wantErrs: []error{notification.ErrInvalid},
		},
		{
			name: "name with a line break",
			handle: func(ctx context.Context, s *notification.Service) []error {
				bad := ann
				bad.Name = "Ann\nSubject: hi"
				return []error{s.UserCreated(ctx, userCreated("e-1", bad))}
			},
			wantErrs: []error{notification.ErrInvalid},
		},
		{
			name: "email not an address",
			handle: func(ctx context.Context, s *notification.Service) []error {
				bad := ann
				bad.Email = "ann"
				return []error{s.UserCreated(ctx, userCreated("e-1", bad))}
			},
			wantErrs: []error{notification.ErrInvalid},
		},
		{
			name: "booking without a vessel",
			handle: func(ctx context.Context, s *notification.Service) []error {
				e := booked("e-2", ann.UserID)
				e.VesselID = ""
				return []error{s.UserCreated(ctx, userCreated("e-1", ann)), s.ConsignmentBooked(ctx, e)}
			},
			wantErrs:  []error{nil, notification.ErrInvalid},
			wantMails: []string{"Welcome to Shippy"},
		},
		{
			name: "booking with a line break in its id",
			handle: func(ctx context.Context, s *notification.Service) []error {
				e := booked("e-2", ann.UserID)
				e.ConsignmentID = "c-1\r\nBcc: all@example.com"
				return []error{s.UserCreated(ctx, userCreated("e-1", ann)), s.ConsignmentBooked(ctx, e)}
			},
			wantErrs:  []error{nil, notification.ErrInvalid},
			wantMails: []string{"Welcome to Shippy"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mailer := &fakeMailer{err: tt.mailErr}
			errs := tt.handle(t.Context(), newService(t, memory.New(), mailer))
			for i, err := range errs {
				if want := tt.wantErrs[i]; (want == nil) != (err == nil) || !errors.Is(err, want) {
					t.Errorf("event %d: error %v, want %v", i, err, want)
				}
			}
			var got []string
			for _, m := range mailer.sent {
				got = append(got, m.Subject)
			}
			if strings.Join(got, "|") != strings.Join(tt.wantMails, "|") {
				t.Errorf("mails sent %q, want %q", got, tt.wantMails)
			}
		})
	}
}

// TestConfirmationContent checks that the confirmation goes to the owner
// learned from user.created and names the consignment, the vessel, the
// containers and the weight.
func TestConfirmationContent(t *testing.T) {
	t.Parallel()
	mailer := &fakeMailer{}
	s := newService(t, memory.New(), mailer)
	if err := s.UserCreated(t.Context(), userCreated("e-1", ann)); err != nil {
		t.Fatal(err)
	}
	if err := s.ConsignmentBooked(t.Context(), booked("e-2", ann.UserID)); err != nil {
		t.Fatal(err)
	}
	m := mailer.sent[1]
	if m.To != ann || m.ID != "e-2" {
		t.Errorf("confirmation to %+v with id %q, want to %+v with id e-2", m.To, m.ID, ann)
	}
	for _, want := range []string{"Hello Ann", "c-1", "vessel001", "Containers:  3", "Weight:      55000 kg"} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("confirmation body lacks %q:\n%s", want, m.Body)
		}
	}
}

// TestSentNotRecorded checks the window the service cannot close: a mail
// accepted whose record fails is an error, and the event, not recorded,
// sends its mail again when it is redelivered.
func TestSentNotRecorded(t *testing.T) {
	t.Parallel()
	mailer := &fakeMailer{}
	repo := memory.New()
	errStore := errors.New("disk full")
	s := newService(t, failingRepo{Store: repo, err: errStore}, mailer)
	if err := s.UserCreated(t.Context(), userCreated("e-1", ann)); !errors.Is(err, errStore) {
		t.Fatalf("UserCreated with RecordSent failing = %v, want %v", err, errStore)
	}
	s = newService(t, repo, mailer)
	if err := s.UserCreated(t.Context(), userCreated("e-1", ann)); err != nil {
		t.Fatalf("UserCreated redelivered = %v", err)
	}
	if len(mailer.sent) != 2 || mailer.sent[0].ID != mailer.sent[1].ID {
		t.Errorf("sent %d mails, want 2 with one id", len(mailer.sent))
	}
}

// TestRecordAfterCancel checks that a mail accepted is recorded even when
// the handling's context ends as the mail is sent.
func TestRecordAfterCancel(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	repo := memory.New()
	s := newService(t, repo, cancellingMailer{cancel})
	if err := s.UserCreated(ctx, userCreated("e-1", ann)); err != nil {
		t.Fatalf("UserCreated = %v", err)
	}
	if handled, err := repo.Handled(t.Context(), "e-1"); !handled || err != nil {
		t.Errorf("Handled(e-1) = %v, %v; want true", handled, err)
	}
}

// cancellingMailer accepts every mail and then cancels the handling.
type cancellingMailer struct{ cancel context.CancelFunc }

func (m cancellingMailer) Send(context.Context, notification.Mail) error { m.cancel(); return nil }
