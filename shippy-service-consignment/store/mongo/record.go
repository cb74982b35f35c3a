package mongo

import (
	"fmt"
	"time"

	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
)

// Field names of the documents, as used in queries, updates and indexes.
const (
	fieldID         = "_id"
	fieldSeq        = "seq"
	fieldStatus     = "status"
	fieldVesselID   = "vessel_id"
	fieldLeaseOwner = "lease_owner"
	fieldLeaseUntil = "lease_until"
)

// consignmentDoc is a consignment as stored in the consignments collection,
// pending or booked. Weight is in kilograms; times are kept to the
// millisecond, in UTC. Renaming a field, or changing its meaning, needs a
// migration.
type consignmentDoc struct {
	ID string `bson:"_id"`
	// Seq is the consignment's place in creation order, unique.
	Seq         int64          `bson:"seq"`
	Status      string         `bson:"status"` // statusPending or statusBooked
	CreatedAt   time.Time      `bson:"created_at"`
	LeaseOwner  string         `bson:"lease_owner"`
	LeaseUntil  time.Time      `bson:"lease_until"`
	Description string         `bson:"description"`
	Weight      int32          `bson:"weight"`
	Containers  []containerDoc `bson:"containers"`
	VesselID    string         `bson:"vessel_id"`
}

// The stored names of the consignment.Status values: the database's own,
// so that renaming a domain constant does not change the documents.
const (
	statusPending = "pending"
	statusBooked  = "booked"
)

// containerDoc is one container of a consignmentDoc.
type containerDoc struct {
	ID         string `bson:"id"`
	CustomerID string `bson:"customer_id"`
	Origin     string `bson:"origin"`
	UserID     string `bson:"user_id"`
}

// toDoc returns the document of c at place seq, or an error when c's status
// is not one the store can hold.
func toDoc(c consignment.Consignment, seq int64) (consignmentDoc, error) {
	d := consignmentDoc{
		ID:          c.ID,
		Seq:         seq,
		CreatedAt:   c.CreatedAt.UTC(),
		LeaseOwner:  c.Lease.Owner,
		LeaseUntil:  c.Lease.Until.UTC(),
		Description: c.Description,
		Weight:      c.Weight,
		Containers:  make([]containerDoc, len(c.Containers)),
		VesselID:    c.VesselID,
	}
	switch c.Status {
	case consignment.StatusPending:
		d.Status = statusPending
	case consignment.StatusBooked:
		d.Status = statusBooked
	default:
		return consignmentDoc{}, fmt.Errorf("unknown status %q", c.Status)
	}
	for i, ct := range c.Containers {
		d.Containers[i] = containerDoc{ID: ct.ID, CustomerID: ct.CustomerID, Origin: ct.Origin, UserID: ct.UserID}
	}
	return d, nil
}

// toConsignment returns the consignment d stores. A consignment without
// containers has a nil slice, and a zero time stays zero.
func (d consignmentDoc) toConsignment() (consignment.Consignment, error) {
	c := consignment.Consignment{
		ID:          d.ID,
		Description: d.Description,
		Weight:      d.Weight,
		VesselID:    d.VesselID,
		CreatedAt:   zeroOrUTC(d.CreatedAt),
		Lease:       consignment.Lease{Owner: d.LeaseOwner, Until: zeroOrUTC(d.LeaseUntil)},
	}
	switch d.Status {
	case statusPending:
		c.Status = consignment.StatusPending
	case statusBooked:
		c.Status = consignment.StatusBooked
	default:
		return consignment.Consignment{}, fmt.Errorf("consignment %q: unknown status %q", d.ID, d.Status)
	}
	if len(d.Containers) > 0 {
		c.Containers = make([]consignment.Container, len(d.Containers))
		for i, ct := range d.Containers {
			c.Containers[i] = consignment.Container{ID: ct.ID, CustomerID: ct.CustomerID, Origin: ct.Origin, UserID: ct.UserID}
		}
	}
	return c, nil
}

// zeroOrUTC returns t in UTC, or the zero time for the instant of the zero
// time, which is how a stored zero time comes back.
func zeroOrUTC(t time.Time) time.Time {
	if t.Equal(time.Time{}) {
		return time.Time{}
	}
	return t.UTC()
}

// counterDoc is the document in the counters collection that hands out the
// places in creation order.
type counterDoc struct {
	ID  string `bson:"_id"`
	Seq int64  `bson:"seq"` // the last place handed out
}
