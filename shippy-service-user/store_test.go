package main

import (
	"errors"
	"testing"

	domainuser "github.com/shippy-suite/shippy/domain/user"
	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/shippy-service-user/store/memory"
	"github.com/shippy-suite/shippy/shippy-service-user/user"
)

// TestNotifying checks that the relay is notified after a create that
// stored events, and only then.
func TestNotifying(t *testing.T) {
	t.Parallel()
	var notified int
	repo := notifying{repository: memory.New(), notify: func() { notified++ }}
	account := func(id string) user.Account {
		return user.Account{User: domainuser.User{ID: id, Email: id + "@example.com", Role: domainuser.RoleCustomer}}
	}
	event := outbox.Message{ID: "event-1", Subject: "shippy.test.created"}
	steps := []struct {
		name    string
		create  func() error
		wantErr error
		want    int
	}{
		{"with an event", func() error { return repo.Create(t.Context(), account("u-1"), event) }, nil, 1},
		{"without events", func() error { return repo.Create(t.Context(), account("u-2")) }, nil, 1},
		{"refused", func() error {
			return repo.Create(t.Context(), account("u-1"), outbox.Message{ID: "event-2", Subject: "s"})
		}, domainuser.ErrConflict, 1},
		{"with another event", func() error {
			return repo.Create(t.Context(), account("u-3"), outbox.Message{ID: "event-3", Subject: "s"})
		}, nil, 2},
	}
	for _, s := range steps {
		if err := s.create(); !errors.Is(err, s.wantErr) {
			t.Fatalf("%s: Create = %v, want %v", s.name, err, s.wantErr)
		}
		if notified != s.want {
			t.Errorf("%s: notified %d times, want %d", s.name, notified, s.want)
		}
	}
}
