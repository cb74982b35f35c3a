package mongodb

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/x/mongo/driver/topology"
)

func TestMapError(t *testing.T) {
	t.Parallel()
	errNotFound, errUnavailable := errors.New("not found"), errors.New("unavailable")
	errOther := errors.New("write conflict")
	done, cancel := context.WithCancel(context.Background())
	cancel()
	selection := topology.ServerSelectionError{Wrapped: errors.New("no server")}
	tests := []struct {
		name            string
		ctx             context.Context
		err             error
		wantNotFound    bool
		wantUnavailable bool
		wantSame        bool // err passes unchanged
	}{
		{name: "nil", ctx: context.Background(), err: nil, wantSame: true},
		{name: "no document", ctx: context.Background(), err: fmt.Errorf("find: %w", mongo.ErrNoDocuments), wantNotFound: true},
		{name: "server selection", ctx: context.Background(), err: selection, wantUnavailable: true},
		{name: "client disconnected", ctx: context.Background(), err: mongo.ErrClientDisconnected, wantUnavailable: true},
		{name: "timeout of the store", ctx: context.Background(), err: context.DeadlineExceeded, wantUnavailable: true},
		{name: "the caller gave up", ctx: done, err: context.DeadlineExceeded, wantSame: true},
		{name: "other", ctx: context.Background(), err: errOther, wantSame: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := MapError(tt.ctx, tt.err, errNotFound, errUnavailable)
			if tt.wantSame && got != tt.err {
				t.Errorf("MapError(%v) = %v, want it unchanged", tt.err, got)
			}
			if errors.Is(got, errNotFound) != tt.wantNotFound {
				t.Errorf("MapError(%v) = %v; matches not found %v, want %v", tt.err, got, !tt.wantNotFound, tt.wantNotFound)
			}
			if errors.Is(got, errUnavailable) != tt.wantUnavailable {
				t.Errorf("MapError(%v) = %v; matches unavailable %v, want %v", tt.err, got, !tt.wantUnavailable, tt.wantUnavailable)
			}
			var sel topology.ServerSelectionError
			if tt.wantUnavailable && !errors.Is(got, tt.err) && !errors.As(got, &sel) {
				t.Errorf("MapError(%v) = %v, which no longer matches the driver's error", tt.err, got)
			}
		})
	}
}
