package mongo

import (
	"fmt"
	"time"

	domainuser "github.com/shippy-suite/shippy/domain/user"
	"github.com/shippy-suite/shippy/platform/mongodb"
	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/shippy-service-user/user"
)

// Field names of the documents, as used in queries, updates and indexes.
const (
	fieldID       = "_id"
	fieldSeq      = "seq"
	fieldEmailKey = "email_key"
	fieldRole     = "role"
)

// The stored names of the roles: the store's own, so that renaming a
// domain constant does not change what is stored.
const (
	roleCustomer = "customer"
	roleOperator = "operator"
)

// userDoc is an account as stored in the users collection. Times are kept
// to the millisecond, in UTC. Renaming a field, or changing its meaning, is
// a migration.
type userDoc struct {
	ID string `bson:"_id"`
	// Seq is the user's place in creation order, unique.
	Seq int64 `bson:"seq"`
	// EmailKey is domainuser.EmailKey(Email), unique.
	EmailKey     string    `bson:"email_key"`
	Email        string    `bson:"email"`
	Name         string    `bson:"name"`
	Company      string    `bson:"company"`
	Role         string    `bson:"role"` // roleCustomer or roleOperator
	CreatedAt    time.Time `bson:"created_at"`
	PasswordHash []byte    `bson:"password_hash"`
	// Outbox holds the events announcing the user that wait to be
	// published, written with it; Done pulls them.
	Outbox []mongodb.OutboxEvent `bson:"outbox,omitempty"`
}

// toDoc returns the document of a at place seq, with events in its outbox,
// or an error when a's role is not one.
func toDoc(a user.Account, seq int64, events []outbox.Message) (userDoc, error) {
	role, err := storedRole(a.Role)
	if err != nil {
		return userDoc{}, err
	}
	return userDoc{
		ID:           a.ID,
		Seq:          seq,
		EmailKey:     domainuser.EmailKey(a.Email),
		Email:        a.Email,
		Name:         a.Name,
		Company:      a.Company,
		Role:         role,
		CreatedAt:    a.CreatedAt.UTC(),
		PasswordHash: a.PasswordHash,
		Outbox:       mongodb.OutboxEvents(events),
	}, nil
}

// toAccount returns the account d stores, or an error for an unknown
// role. A zero time comes back zero.
func (d userDoc) toAccount() (user.Account, error) {
	var role domainuser.Role
	switch d.Role {
	case roleCustomer:
		role = domainuser.RoleCustomer
	case roleOperator:
		role = domainuser.RoleOperator
	default:
		return user.Account{}, fmt.Errorf("user %q: unknown role %q", d.ID, d.Role)
	}
	created := d.CreatedAt.UTC()
	if created.Equal(time.Time{}) {
		created = time.Time{}
	}
	return user.Account{
		User: domainuser.User{
			ID:        d.ID,
			Name:      d.Name,
			Company:   d.Company,
			Email:     d.Email,
			Role:      role,
			CreatedAt: created,
		},
		PasswordHash: d.PasswordHash,
	}, nil
}

// storedRole returns the stored name of r, or an error when r is not a
// role.
func storedRole(r domainuser.Role) (string, error) {
	switch r {
	case domainuser.RoleCustomer:
		return roleCustomer, nil
	case domainuser.RoleOperator:
		return roleOperator, nil
	}
	return "", fmt.Errorf("unknown role %q", r)
}
