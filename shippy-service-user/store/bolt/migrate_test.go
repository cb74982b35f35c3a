package bolt

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.etcd.io/bbolt"

	domainuser "github.com/shippy-suite/shippy/domain/user"
	"github.com/shippy-suite/shippy/platform/boltdb/boltdbtest"
	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/shippy-service-user/user"
)

// TestUpgradeV1 opens a file of schema version 1, which has no outbox
// buckets, written as the release before the outbox wrote it: its users
// come back as they were, in creation order, its emails stay taken, the
// outbox is empty (the users of before are not announced), and a new user
// is stored with its event. Reopened, the file is of version 2.
func TestUpgradeV1(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	created := time.Date(2025, 1, 2, 3, 4, 5, 6000000, time.UTC)
	old := []user.Account{
		{User: domainuser.User{ID: "u-b", Name: "Bob", Email: "Bob@example.com", Role: domainuser.RoleOperator, CreatedAt: created}, PasswordHash: []byte("hash-b")},
		{User: domainuser.User{ID: "u-a", Name: "Ann", Company: "Acme", Email: "ann@example.com", Role: domainuser.RoleCustomer, CreatedAt: created.Add(time.Second)}, PasswordHash: []byte("hash-a")},
	}
	records := map[string]map[string]string{"users": {}, "emails": {}, "order": {}}
	for i, a := range old {
		seq := uint64(i + 1)
		r, err := toRecord(a, seq)
		if err != nil {
			t.Fatal(err)
		}
		value, err := encodeRecord(r)
		if err != nil {
			t.Fatal(err)
		}
		records["users"][a.ID] = string(value)
		records["emails"][domainuser.EmailKey(a.Email)] = a.ID
		records["order"][string(binary.BigEndian.AppendUint64(nil, seq))] = a.ID
	}
	path := boltdbtest.Path(t, "user.db")
	boltdbtest.WriteFile(t, path, "1", records)

	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open of a version 1 file = %v, want nil", err)
	}
	got, next, err := s.List(ctx, 0, "")
	if diff := cmp.Diff(old, got); diff != "" || next != "" || err != nil {
		t.Errorf("List after the upgrade = next %q, %v (-want +got):\n%s", next, err, diff)
	}
	if n, err := s.Count(ctx); n != 0 || err != nil {
		t.Errorf("Count after the upgrade = %d, %v; want 0", n, err)
	}
	if err := s.Create(ctx, user.Account{User: domainuser.User{ID: "u-c", Email: "BOB@example.com", Role: domainuser.RoleCustomer}}); err == nil {
		t.Errorf("Create with the email of a user of version 1 = nil, want ErrConflict")
	}
	c := user.Account{User: domainuser.User{ID: "u-c", Name: "Cy", Email: "cy@example.com", Role: domainuser.RoleCustomer, CreatedAt: created}, PasswordHash: []byte("hash-c")}
	event := outbox.Message{ID: "event-c", Subject: "shippy.test.created", Data: []byte("c"), CreatedAt: created}
	if err := s.Create(ctx, c, event); err != nil {
		t.Fatalf("Create after the upgrade = %v, want nil", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s = boltdbtest.MustOpen(t, Open, path)
	pending, err := s.Pending(ctx, 10)
	if diff := cmp.Diff([]outbox.Message{event}, pending); diff != "" || err != nil {
		t.Errorf("Pending after reopening = %v (-want +got):\n%s", err, diff)
	}
	var version string
	err = s.db.View(ctx, func(tx *bbolt.Tx) error {
		version = string(tx.Bucket([]byte("meta")).Get([]byte("schema")))
		return nil
	})
	if err != nil || version != "2" {
		t.Errorf("schema after the upgrade = %q, %v; want 2", version, err)
	}
}
