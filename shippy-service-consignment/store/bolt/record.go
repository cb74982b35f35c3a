package bolt

import (
	"fmt"
	"time"

	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
)

// consignmentRecord is a consignment as stored, under its id in the
// consignments bucket. The id is the key and is not repeated in the value.
// Weight is in kilograms. Renaming a JSON name, or changing a field's
// meaning, is a new schema version.
type consignmentRecord struct {
	// Seq is the consignment's key in the order bucket.
	Seq         uint64            `json:"seq"`
	Status      string            `json:"status"` // statusPending or statusBooked
	CreatedAt   time.Time         `json:"created_at"`
	LeaseOwner  string            `json:"lease_owner,omitempty"`
	LeaseUntil  time.Time         `json:"lease_until,omitzero"`
	Description string            `json:"description"`
	Weight      int32             `json:"weight"`
	Containers  []containerRecord `json:"containers"`
	VesselID    string            `json:"vessel_id"`
}

// The stored names of the consignment.Status values: the file's own, so
// that renaming a domain constant does not change the file.
const (
	statusPending = "pending"
	statusBooked  = "booked"
)

// containerRecord is one container of a consignmentRecord.
type containerRecord struct {
	ID         string `json:"id"`
	CustomerID string `json:"customer_id"`
	Origin     string `json:"origin"`
	UserID     string `json:"user_id"`
}

// toRecord returns the record of c, or an error when c's status is not one
// the file can hold.
func toRecord(c consignment.Consignment, seq uint64) (consignmentRecord, error) {
	r := consignmentRecord{
		Seq:         seq,
		CreatedAt:   c.CreatedAt.UTC(),
		LeaseOwner:  c.Lease.Owner,
		LeaseUntil:  c.Lease.Until.UTC(),
		Description: c.Description,
		Weight:      c.Weight,
		Containers:  make([]containerRecord, len(c.Containers)),
		VesselID:    c.VesselID,
	}
	switch c.Status {
	case consignment.StatusPending:
		r.Status = statusPending
	case consignment.StatusBooked:
		r.Status = statusBooked
	default:
		return consignmentRecord{}, fmt.Errorf("unknown status %q", c.Status)
	}
	for i, ct := range c.Containers {
		r.Containers[i] = containerRecord{ID: ct.ID, CustomerID: ct.CustomerID, Origin: ct.Origin, UserID: ct.UserID}
	}
	return r, nil
}

// toConsignment returns the consignment r stores under id. A consignment
// without containers has a nil slice.
func (r consignmentRecord) toConsignment(id string) (consignment.Consignment, error) {
	c := consignment.Consignment{
		ID:          id,
		Description: r.Description,
		Weight:      r.Weight,
		VesselID:    r.VesselID,
		CreatedAt:   r.CreatedAt,
		Lease:       consignment.Lease{Owner: r.LeaseOwner, Until: r.LeaseUntil},
	}
	switch r.Status {
	case statusPending:
		c.Status = consignment.StatusPending
	case statusBooked:
		c.Status = consignment.StatusBooked
	default:
		return consignment.Consignment{}, fmt.Errorf("consignment %q: unknown status %q", id, r.Status)
	}
	if len(r.Containers) > 0 {
		c.Containers = make([]consignment.Container, len(r.Containers))
		for i, ct := range r.Containers {
			c.Containers[i] = consignment.Container{ID: ct.ID, CustomerID: ct.CustomerID, Origin: ct.Origin, UserID: ct.UserID}
		}
	}
	return c, nil
}
