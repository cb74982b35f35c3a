package storetest

import (
	"context"
	"errors"

	domainuser "github.com/shippy-suite/shippy/domain/user"
	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/platform/outbox/outboxtest"
)

// outboxTarget adapts repo to the outbox part of the contract
// (outboxtest): a key is a user id, with an email of its own.
func outboxTarget(repo Repository) outboxtest.Target {
	return outboxtest.Target{
		Store: repo,
		Create: func(ctx context.Context, id string, events ...outbox.Message) error {
			return repo.Create(ctx, NewAccount(id, id+"@example.com"), events...)
		},
		Conflict: domainuser.ErrConflict,
		Exists: func(ctx context.Context, id string) (bool, error) {
			_, err := repo.Get(ctx, id)
			if errors.Is(err, domainuser.ErrNotFound) {
				return false, nil
			}
			return err == nil, err
		},
	}
}
