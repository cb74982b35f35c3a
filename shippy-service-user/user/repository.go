// Package user is the user service's domain: accounts (a user and the hash
// of their password), the Repository that stores them, the Hasher that
// hashes and checks passwords, and the Service that registers and
// authenticates users. The user, its rules and its errors are the shared
// domain module's (github.com/shippy-suite/shippy/domain/user, imported
// here as domainuser); this package imports neither protobuf nor a
// database driver.
package user

import (
	"context"
	"slices"

	domainuser "github.com/shippy-suite/shippy/domain/user"
	"github.com/shippy-suite/shippy/platform/outbox"
)

// Account is a user as the service stores it: the user and the bcrypt hash
// of their password, which never leaves the service.
type Account struct {
	domainuser.User
	PasswordHash []byte
}

// Clone returns a with its own copy of the hash, sharing no memory with
// a: the stores keep and hand out such copies.
func (a Account) Clone() Account {
	a.PasswordHash = slices.Clone(a.PasswordHash)
	return a
}

// Repository stores accounts. Implementations are safe for concurrent use
// and keep copies: changing an Account after Create, or one returned by a
// read, does not change what is stored. Times are kept to the millisecond
// at least. Errors besides those named: domainuser.ErrUnavailable when the
// store cannot be reached; anything else is internal.
type Repository interface {
	// Create stores a, as given, and puts events in the store's outbox
	// (docs/outbox.md): both or neither. It returns domainuser.ErrConflict
	// when an account with a.ID, or with the EmailKey of a.Email, is
	// stored already; of concurrent creates with one email exactly one
	// succeeds. An event that is not valid (outbox.Message.Validate), or
	// whose id is in the outbox already, is an error, and nothing is
	// stored.
	Create(ctx context.Context, a Account, events ...outbox.Message) error
	// Get returns the account with the id, or domainuser.ErrNotFound.
	Get(ctx context.Context, id string) (Account, error)
	// GetByEmail returns the account whose email has the EmailKey of
	// email, or domainuser.ErrNotFound.
	GetByEmail(ctx context.Context, email string) (Account, error)
	// List returns up to limit accounts, oldest first in the order they
	// were created. limit is never negative: Service.List passes 1 to
	// MaxPageSize; 0, all of them, is for tests. pageToken is empty for
	// the first page, or the nextPageToken of the previous page;
	// nextPageToken is empty when no account follows the page. Tokens are
	// opaque and stay valid while accounts are added; one the repository
	// did not issue gives ErrBadPageToken().
	List(ctx context.Context, limit int, pageToken string) (items []Account, nextPageToken string, err error)
	// SetRole sets the role of the account with the id, or returns
	// domainuser.ErrNotFound.
	SetRole(ctx context.Context, id string, r domainuser.Role) error
}

// ErrBadPageToken returns the error of a List given a page token the
// repository did not issue: a *FieldError on "page_token".
func ErrBadPageToken() error {
	return &domainuser.FieldError{Field: "page_token", Reason: "not a token from a previous page"}
}
