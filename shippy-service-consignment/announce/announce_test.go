package announce_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	eventspb "github.com/shippy-suite/shippy/proto/events"
	"github.com/shippy-suite/shippy/shippy-service-consignment/announce"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
)

func TestBooked(t *testing.T) {
	t.Parallel()
	booked := time.Date(2026, 7, 8, 9, 10, 11, 123456789, time.UTC)
	c := consignment.Consignment{
		ID: "c-1", Owner: "user-1", VesselID: "vessel-1", Weight: 1500, CreatedAt: booked, Status: consignment.StatusBooked,
		Containers: []consignment.Container{{ID: "a"}, {ID: "b"}},
	}
	tests := []struct {
		name    string
		edit    func(*consignment.Consignment)
		id      string
		want    *eventspb.ConsignmentBooked
		wantErr error
	}{
		{
			name: "booked", id: "event-1",
			want: &eventspb.ConsignmentBooked{
				EventId: "event-1", Version: eventspb.Version, BookedAtUnixMillis: booked.UnixMilli(),
				ConsignmentId: "c-1", UserId: "user-1", VesselId: "vessel-1", Containers: 2, Weight: 1500,
			},
		},
		{name: "no owner", id: "event-1", edit: func(c *consignment.Consignment) { c.Owner = "" }, wantErr: eventspb.ErrMalformed},
		{name: "no event id", wantErr: eventspb.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := announce.New(func() string { return tt.id })
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			c := c
			if tt.edit != nil {
				tt.edit(&c)
			}
			m, err := a.Booked(c)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Booked = %v, want %v", err, tt.wantErr)
			}
			if tt.wantErr != nil {
				return
			}
			if m.ID != tt.id || m.Subject != eventspb.SubjectConsignmentBooked || !m.CreatedAt.Equal(booked) {
				t.Errorf("message id %q, subject %q, created %v; want %q, %q, %v", m.ID, m.Subject, m.CreatedAt, tt.id, eventspb.SubjectConsignmentBooked, booked)
			}
			var got eventspb.ConsignmentBooked
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
