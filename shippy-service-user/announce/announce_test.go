package announce_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	domainuser "github.com/shippy-suite/shippy/domain/user"
	eventspb "github.com/shippy-suite/shippy/proto/events"
	"github.com/shippy-suite/shippy/shippy-service-user/announce"
)

func TestCreated(t *testing.T) {
	t.Parallel()
	created := time.Date(2026, 7, 8, 9, 10, 11, 123000000, time.UTC)
	u := domainuser.User{ID: "user-1", Name: "Ann", Company: "Acme", Email: "Ann@example.com", Role: domainuser.RoleCustomer, CreatedAt: created}
	tests := []struct {
		name    string
		edit    func(*domainuser.User)
		id      string
		want    *eventspb.UserCreated
		wantErr error
	}{
		{
			name: "created", id: "event-1",
			want: &eventspb.UserCreated{
				EventId: "event-1", Version: eventspb.Version, OccurredAtUnixMillis: created.UnixMilli(),
				UserId: "user-1", Name: "Ann", Email: "Ann@example.com",
			},
		},
		{name: "no email", id: "event-1", edit: func(u *domainuser.User) { u.Email = "" }, wantErr: eventspb.ErrMalformed},
		{name: "no event id", wantErr: eventspb.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := announce.New(func() string { return tt.id })
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			u := u
			if tt.edit != nil {
				tt.edit(&u)
			}
			m, err := a.Created(u)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Created = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if m.ID != tt.id || m.Subject != eventspb.SubjectUserCreated || !m.CreatedAt.Equal(created) {
				t.Errorf("message id %q, subject %q, created %v; want %q, %q, %v", m.ID, m.Subject, m.CreatedAt, tt.id, eventspb.SubjectUserCreated, created)
			}
			var got eventspb.UserCreated
			if err := eventspb.Decode(m.ID, m.Data, &got); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(tt.want, &got, protocmp.Transform()); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
		})
	}
	if _, err := announce.New(nil); err == nil {
		t.Error("New(nil) succeeded")
	}
}
