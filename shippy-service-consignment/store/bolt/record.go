package bolt

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/bolt/internal/boltpb"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/internal/record"
)

// A consignment is stored under its id in the consignments bucket as a
// boltpb.Consignment in protobuf (internal/boltpb/consignment.proto): its
// fields but the id, the key, and its sequence number. Files of schema
// version 2 held JSON records (migrate.go).

// toRecord returns the record of c at sequence number seq, or an error
// when c's status is not one the file can hold.
func toRecord(c consignment.Consignment, seq uint64) (*boltpb.Consignment, error) {
	r := &boltpb.Consignment{
		Seq:         seq,
		LeaseOwner:  c.Lease.Owner,
		Description: c.Description,
		Weight:      c.Weight,
		VesselId:    c.VesselID,
		Owner:       c.Owner,
	}
	switch c.Status {
	case consignment.StatusPending:
		r.Status = boltpb.Status_STATUS_PENDING
	case consignment.StatusBooked:
		r.Status = boltpb.Status_STATUS_BOOKED
	case consignment.StatusCancelled:
		r.Status = boltpb.Status_STATUS_CANCELLED
	default:
		return nil, fmt.Errorf("unknown status %q", c.Status)
	}
	r.CreatedAtSeconds, r.CreatedAtNanos = unixParts(c.CreatedAt)
	r.LeaseUntilSeconds, r.LeaseUntilNanos = unixParts(c.Lease.Until)
	if len(c.Containers) > 0 {
		// One allocation for the containers, rather than one each.
		containers := make([]boltpb.Container, len(c.Containers))
		r.Containers = make([]*boltpb.Container, len(c.Containers))
		for i, ct := range c.Containers {
			containers[i].Id, containers[i].CustomerId = ct.ID, ct.CustomerID
			containers[i].Origin, containers[i].UserId = ct.Origin, ct.UserID
			r.Containers[i] = &containers[i]
		}
	}
	return r, nil
}

// fromRecord returns the consignment r stores under id. A consignment
// without containers has a nil slice, and a zero time stays zero.
func fromRecord(id string, r *boltpb.Consignment) (consignment.Consignment, error) {
	c := consignment.Consignment{
		ID:          id,
		Description: r.Description,
		Weight:      r.Weight,
		VesselID:    r.VesselId,
		Owner:       r.Owner,
		CreatedAt:   unixTime(r.CreatedAtSeconds, r.CreatedAtNanos),
		Lease:       consignment.Lease{Owner: r.LeaseOwner, Until: unixTime(r.LeaseUntilSeconds, r.LeaseUntilNanos)},
	}
	switch r.Status {
	case boltpb.Status_STATUS_PENDING:
		c.Status = consignment.StatusPending
	case boltpb.Status_STATUS_BOOKED:
		c.Status = consignment.StatusBooked
	case boltpb.Status_STATUS_CANCELLED:
		c.Status = consignment.StatusCancelled
	default:
		return consignment.Consignment{}, fmt.Errorf("consignment %q: unknown status %v", id, r.Status)
	}
	if len(r.Containers) > 0 {
		c.Containers = make([]consignment.Container, len(r.Containers))
		for i, ct := range r.Containers {
			c.Containers[i] = consignment.Container{ID: ct.Id, CustomerID: ct.CustomerId, Origin: ct.Origin, UserID: ct.UserId}
		}
	}
	return c, nil
}

// encodeRecord returns r as stored.
func encodeRecord(r *boltpb.Consignment) ([]byte, error) {
	return proto.Marshal(r)
}

// decodeRecord decodes value into r, or returns an error when value is not
// a record of a pending, a booked or a cancelled consignment.
func decodeRecord(value []byte, r *boltpb.Consignment) error {
	if err := proto.Unmarshal(value, r); err != nil {
		return err
	}
	switch r.Status {
	case boltpb.Status_STATUS_PENDING, boltpb.Status_STATUS_BOOKED, boltpb.Status_STATUS_CANCELLED:
		return nil
	}
	return fmt.Errorf("unknown status %v", r.Status)
}

// unixParts returns t as a record stores a time: seconds since the Unix
// epoch and nanoseconds in that second, as google.protobuf.Timestamp does.
func unixParts(t time.Time) (seconds int64, nanos int32) {
	return t.Unix(), int32(t.Nanosecond())
}

// unixTime returns the time a record stores as seconds and nanos (see
// unixParts), in UTC, or the zero time for the instant of the zero time.
func unixTime(seconds int64, nanos int32) time.Time {
	return record.UTC(time.Unix(seconds, int64(nanos)))
}
