package bolt

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	domainuser "github.com/shippy-suite/shippy/domain/user"
	"github.com/shippy-suite/shippy/shippy-service-user/store/bolt/internal/boltpb"
	"github.com/shippy-suite/shippy/shippy-service-user/user"
)

// An account is stored under its id in the users bucket as a boltpb.User
// in protobuf (internal/boltpb/user.proto): its fields but the id, the
// key, and its sequence number.

// toRecord returns the record of a at sequence number seq, or an error
// when a's role is not one the file can hold.
func toRecord(a user.Account, seq uint64) (*boltpb.User, error) {
	role, err := encodeRole(a.Role)
	if err != nil {
		return nil, err
	}
	return &boltpb.User{
		Seq:              seq,
		Name:             a.Name,
		Company:          a.Company,
		Email:            a.Email,
		Role:             role,
		CreatedAtSeconds: a.CreatedAt.Unix(),
		CreatedAtNanos:   int32(a.CreatedAt.Nanosecond()),
		PasswordHash:     a.PasswordHash,
	}, nil
}

// fromRecord returns the account r stores under id, its times in UTC (a
// zero time stays zero). decodeRecord has checked its role.
func fromRecord(id string, r *boltpb.User) user.Account {
	role := domainuser.RoleCustomer
	if r.Role == boltpb.Role_ROLE_OPERATOR {
		role = domainuser.RoleOperator
	}
	return user.Account{
		User: domainuser.User{
			ID:        id,
			Name:      r.Name,
			Company:   r.Company,
			Email:     r.Email,
			Role:      role,
			CreatedAt: unixTime(r.CreatedAtSeconds, r.CreatedAtNanos),
		},
		PasswordHash: r.PasswordHash,
	}
}

// encodeRole returns the record's value of role, or an error for a role
// that is not one.
func encodeRole(role domainuser.Role) (boltpb.Role, error) {
	switch role {
	case domainuser.RoleCustomer:
		return boltpb.Role_ROLE_CUSTOMER, nil
	case domainuser.RoleOperator:
		return boltpb.Role_ROLE_OPERATOR, nil
	}
	return 0, fmt.Errorf("unknown role %q", role)
}

// encodeRecord returns r as stored.
func encodeRecord(r *boltpb.User) ([]byte, error) {
	return proto.Marshal(r)
}

// decodeRecord decodes value into r, or returns an error when value is not
// a record of a customer or an operator.
func decodeRecord(value []byte, r *boltpb.User) error {
	if err := proto.Unmarshal(value, r); err != nil {
		return err
	}
	if r.Role != boltpb.Role_ROLE_CUSTOMER && r.Role != boltpb.Role_ROLE_OPERATOR {
		return fmt.Errorf("unknown role %v", r.Role)
	}
	return nil
}

// unixTime returns the time a record stores as seconds and nanos, in UTC,
// or the zero time for the instant of the zero time.
func unixTime(seconds int64, nanos int32) time.Time {
	t := time.Unix(seconds, int64(nanos))
	if t.Equal(time.Time{}) {
		return time.Time{}
	}
	return t.UTC()
}
