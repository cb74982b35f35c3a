package bolt

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protowire"

	domainuser "github.com/shippy-suite/shippy/domain/user"
	"github.com/shippy-suite/shippy/shippy-service-user/store/bolt/internal/boltpb"
	"github.com/shippy-suite/shippy/shippy-service-user/user"
)

// TestRecordRoundTrip checks that an account comes back from its encoded
// record as it went in, but in UTC.
func TestRecordRoundTrip(t *testing.T) {
	t.Parallel()
	created := time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.FixedZone("UTC-7", -7*3600))
	tests := map[string]user.Account{
		"customer":              {User: domainuser.User{ID: "u", Name: "Ann", Company: "Shippy", Email: "Ann@example.com", Role: domainuser.RoleCustomer, CreatedAt: created}, PasswordHash: []byte("$2a$10$x")},
		"operator":              {User: domainuser.User{ID: "o", Name: "Ölfässer 東京", Email: "o@example.com", Role: domainuser.RoleOperator, CreatedAt: time.Unix(0, 0).UTC()}},
		"zero time":             {User: domainuser.User{ID: "z", Role: domainuser.RoleCustomer}},
		"before the Unix epoch": {User: domainuser.User{ID: "e", Role: domainuser.RoleCustomer, CreatedAt: time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC)}},
	}
	for name, a := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r, err := toRecord(a, 42)
			if err != nil {
				t.Fatalf("toRecord: %v", err)
			}
			value, err := encodeRecord(r)
			if err != nil {
				t.Fatalf("encodeRecord: %v", err)
			}
			var back boltpb.User
			if err := decodeRecord(value, &back); err != nil {
				t.Fatalf("decodeRecord: %v", err)
			}
			want := a
			if !want.CreatedAt.IsZero() {
				want.CreatedAt = want.CreatedAt.UTC()
			}
			if diff := cmp.Diff(want, fromRecord(a.ID, &back)); diff != "" || back.Seq != 42 {
				t.Errorf("round trip: seq %d, want 42 (-want +got):\n%s", back.Seq, diff)
			}
		})
	}
	if _, err := toRecord(user.Account{User: domainuser.User{ID: "x", Role: "admin"}}, 1); err == nil {
		t.Error("toRecord(role admin) = nil error, want one")
	}
}

// TestDecodeRecordErrors checks values that are no record of an account.
func TestDecodeRecordErrors(t *testing.T) {
	t.Parallel()
	tests := map[string][]byte{
		"no role":      protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 7),
		"unknown role": protowire.AppendVarint(protowire.AppendTag(nil, 5, protowire.VarintType), 9),
		"truncated":    protowire.AppendTag(nil, 2, protowire.BytesType),
		"JSON":         []byte(`{"name":"Ann","role":"customer"}`),
	}
	for name, value := range tests {
		if err := decodeRecord(value, new(boltpb.User)); err == nil {
			t.Errorf("decodeRecord(%s) = nil, want an error", name)
		}
	}
}

// TestInconsistentFile checks that a file whose indexes name a user that
// is not stored gives an internal error, not ErrNotFound.
func TestInconsistentFile(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(filepath.Join(t.TempDir(), "user.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	err = s.db.Bolt().Update(func(tx *bbolt.Tx) error {
		if err := tx.Bucket(emailsBucket).Put([]byte("ghost@example.com"), []byte("ghost")); err != nil {
			return err
		}
		return tx.Bucket(orderBucket).Put(seqKey(1), []byte("ghost"))
	})
	if err != nil {
		t.Fatalf("write the entries: %v", err)
	}
	if _, err := s.GetByEmail(ctx, "ghost@example.com"); err == nil || errors.Is(err, domainuser.ErrNotFound) {
		t.Errorf("GetByEmail of a dangling email entry = %v, want an internal error", err)
	}
	if _, _, err := s.List(ctx, 0, ""); err == nil || errors.Is(err, domainuser.ErrInvalid) {
		t.Errorf("List over a dangling order entry = %v, want an internal error", err)
	}
}

// TestListTokensNotIssued checks tokens of the right form that this store
// could not have issued.
func TestListTokensNotIssued(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(filepath.Join(t.TempDir(), "user.db"))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	defer s.Close()
	for _, id := range []string{"a", "b", "c"} {
		if err := s.Create(ctx, user.Account{User: domainuser.User{ID: id, Email: id + "@example.com", Role: domainuser.RoleCustomer}}); err != nil {
			t.Fatalf("Create: %v", err)
		}
	}
	for name, token := range map[string]string{
		"last user":      encodeToken(3),
		"after the last": encodeToken(4),
		"far after":      encodeToken(1 << 63),
	} {
		var fe *domainuser.FieldError
		if _, _, err := s.List(ctx, 1, token); !errors.As(err, &fe) || fe.Field != "page_token" {
			t.Errorf("List(1, token of %s) = %v, want a *FieldError on page_token", name, err)
		}
	}
	if _, _, err := s.List(ctx, 1, encodeToken(2)); err != nil {
		t.Errorf("List(1, token of the second of three) = %v, want nil", err)
	}
}
