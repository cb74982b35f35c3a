package bolt

import (
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/shippy-suite/shippy/platform/boltdb"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
)

// v2Record is a record of schema version 2, in JSON, as the releases before
// protobuf records wrote it. It is kept to upgrade such files only.
type v2Record struct {
	Seq         uint64        `json:"seq"`
	Status      string        `json:"status"` // "pending" or "booked"
	CreatedAt   time.Time     `json:"created_at"`
	LeaseOwner  string        `json:"lease_owner,omitempty"`
	LeaseUntil  time.Time     `json:"lease_until,omitzero"`
	Description string        `json:"description"`
	Weight      int32         `json:"weight"`
	Containers  []v2Container `json:"containers"`
	VesselID    string        `json:"vessel_id"`
}

type v2Container struct {
	ID         string `json:"id"`
	CustomerID string `json:"customer_id"`
	Origin     string `json:"origin"`
	UserID     string `json:"user_id"`
}

// upgradeV2 rewrites every record of a file of schema version 2 as a
// record of version 3, in tx: the records' encoding is all that changed.
// It fails on a record it cannot decode, naming its id.
func upgradeV2(tx *bbolt.Tx) error {
	return boltdb.RewriteValues(tx, consignmentsBucket, upgradeV2Record)
}

// upgradeV2Record returns the version 3 record of value, the version 2
// record stored under id.
func upgradeV2Record(id, value []byte) ([]byte, error) {
	var old v2Record
	if err := json.Unmarshal(value, &old); err != nil {
		return nil, fmt.Errorf("decode consignment %q of version 2: %w", id, err)
	}
	c, err := old.consignment(string(id))
	if err != nil {
		return nil, fmt.Errorf("consignment %q of version 2: %w", id, err)
	}
	r, err := toRecord(c, old.Seq)
	if err != nil {
		return nil, fmt.Errorf("consignment %q of version 2: %w", id, err)
	}
	return encodeRecord(r)
}

// consignment returns the consignment r stores under id, or an error when
// its status is unknown.
func (r v2Record) consignment(id string) (consignment.Consignment, error) {
	c := consignment.Consignment{
		ID:          id,
		Description: r.Description,
		Weight:      r.Weight,
		VesselID:    r.VesselID,
		CreatedAt:   r.CreatedAt,
		Lease:       consignment.Lease{Owner: r.LeaseOwner, Until: r.LeaseUntil},
	}
	switch r.Status {
	case "pending":
		c.Status = consignment.StatusPending
	case "booked":
		c.Status = consignment.StatusBooked
	default:
		return consignment.Consignment{}, fmt.Errorf("unknown status %q", r.Status)
	}
	if len(r.Containers) > 0 {
		c.Containers = make([]consignment.Container, len(r.Containers))
		for i, ct := range r.Containers {
			c.Containers[i] = consignment.Container{ID: ct.ID, CustomerID: ct.CustomerID, Origin: ct.Origin, UserID: ct.UserID}
		}
	}
	return c, nil
}
