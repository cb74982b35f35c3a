// Package record is what the consignment service's stores share: a
// consignment's stored fields as MongoDB documents name them, their
// conversion from and to the domain's, and how a stored time comes back
// (UTC). The MongoDB store wraps them in its own type with the key and the
// place in creation order; the bbolt store has its own protobuf record.
// Renaming a stored name, or changing a field's meaning, is a MongoDB
// migration.
package record

import (
	"fmt"
	"time"

	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
)

// The stored names of the consignment.Status values: the stores' own, so
// that renaming a domain constant does not change what is stored.
const (
	StatusPending   = "pending"
	StatusBooked    = "booked"
	StatusCancelled = "cancelled"
)

// Consignment is a consignment as stored, pending, booked or cancelled, but
// for its id and its place in creation order. Weight is in kilograms;
// times are in UTC.
type Consignment struct {
	Status      string      `bson:"status"` // StatusPending, StatusBooked or StatusCancelled
	CreatedAt   time.Time   `bson:"created_at"`
	LeaseOwner  string      `bson:"lease_owner"`
	LeaseUntil  time.Time   `bson:"lease_until"`
	Description string      `bson:"description"`
	Weight      int32       `bson:"weight"`
	Containers  []Container `bson:"containers"`
	VesselID    string      `bson:"vessel_id"`
	// Owner is the booking user's id; documents stored before accounts
	// existed lack the field, which reads as "".
	Owner string `bson:"owner"`
}

// Container is one container of a Consignment.
type Container struct {
	ID         string `bson:"id"`
	CustomerID string `bson:"customer_id"`
	Origin     string `bson:"origin"`
	UserID     string `bson:"user_id"`
}

// FromConsignment returns the stored fields of c, or an error when c's
// status is not one a store can hold.
func FromConsignment(c consignment.Consignment) (Consignment, error) {
	r := Consignment{
		CreatedAt:   c.CreatedAt.UTC(),
		LeaseOwner:  c.Lease.Owner,
		LeaseUntil:  c.Lease.Until.UTC(),
		Description: c.Description,
		Weight:      c.Weight,
		Containers:  make([]Container, len(c.Containers)),
		VesselID:    c.VesselID,
		Owner:       c.Owner,
	}
	switch c.Status {
	case consignment.StatusPending:
		r.Status = StatusPending
	case consignment.StatusBooked:
		r.Status = StatusBooked
	case consignment.StatusCancelled:
		r.Status = StatusCancelled
	default:
		return Consignment{}, fmt.Errorf("unknown status %q", c.Status)
	}
	for i, ct := range c.Containers {
		r.Containers[i] = Container{ID: ct.ID, CustomerID: ct.CustomerID, Origin: ct.Origin, UserID: ct.UserID}
	}
	return r, nil
}

// ToConsignment returns the consignment r stores under id. A consignment
// without containers has a nil slice, and a zero time stays zero.
func (r Consignment) ToConsignment(id string) (consignment.Consignment, error) {
	c := consignment.Consignment{
		ID:          id,
		Description: r.Description,
		Weight:      r.Weight,
		VesselID:    r.VesselID,
		Owner:       r.Owner,
		CreatedAt:   UTC(r.CreatedAt),
		Lease:       consignment.Lease{Owner: r.LeaseOwner, Until: UTC(r.LeaseUntil)},
	}
	switch r.Status {
	case StatusPending:
		c.Status = consignment.StatusPending
	case StatusBooked:
		c.Status = consignment.StatusBooked
	case StatusCancelled:
		c.Status = consignment.StatusCancelled
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

// UTC returns t in UTC, or the zero time for the instant of the zero time,
// which is how a stored zero time comes back.
func UTC(t time.Time) time.Time {
	if t.Equal(time.Time{}) {
		return time.Time{}
	}
	return t.UTC()
}
