package mongo

import (
	"time"

	"go.mongodb.org/mongo-driver/bson/primitive"

	"github.com/shippy-suite/shippy/shippy-service-vessel/store/internal/record"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// Field names of the documents, as used in queries and updates.
const (
	fieldID                = "_id"
	fieldAvailable         = "available"
	fieldUsedCapacity      = "used_capacity"
	fieldUsedWeight        = "used_weight"
	fieldRemainingCapacity = "remaining_capacity"
	fieldRemainingWeight   = "remaining_weight"
	fieldBooked            = "booked"
	fieldClaim             = "claim"
	fieldHolder            = "holder"
	fieldHeldUntil         = "held_until"
	fieldReleasing         = "releasing"
)

// vesselDoc is a vessel as stored in the vessels collection. Capacities
// count containers; weights are in kilograms. The remaining room is stored
// beside the used room so that one conditional update can check and take
// it. Renaming a field, or changing its meaning, needs a migration.
type vesselDoc struct {
	ID                string `bson:"_id"`
	record.Vessel     `bson:",inline"`
	RemainingCapacity int32 `bson:"remaining_capacity"`
	RemainingWeight   int32 `bson:"remaining_weight"`
	// Booked lists the consignments whose room is counted in the used
	// room: the vessel side of each booking, changed in the same update as
	// the room. Reads of vessels leave it out (see vesselProjection).
	Booked []string `bson:"booked"`
}

func toVesselDoc(v vessel.Vessel) vesselDoc {
	return vesselDoc{
		ID:                v.ID,
		Vessel:            record.FromVessel(v),
		RemainingCapacity: v.RemainingCapacity(),
		RemainingWeight:   v.RemainingWeight(),
		Booked:            []string{}, // an array, never null, for $push
	}
}

func (d vesselDoc) toVessel() vessel.Vessel {
	return d.ToVessel(d.ID)
}

// bookingDoc is a booking as stored in the bookings collection, under the
// consignment id as _id, so that the _id index keeps one per consignment.
// Weight is in kilograms.
//
// A document is a booking only while its vessel lists the consignment in
// Booked; until then it is a claim, written first by TakeRoom (see
// docs/vessel-booking.md).
type bookingDoc struct {
	ConsignmentID  string `bson:"_id"`
	record.Booking `bson:",inline"`
	// Claim identifies the TakeRoom call that wrote the document, so that
	// a call deletes its own claim and never a later one.
	Claim primitive.ObjectID `bson:"claim"`
	// ClaimedAt is when that call began, by its clock.
	ClaimedAt time.Time `bson:"claimed_at"`
	// Holder and HeldUntil are set while the booking is held: who holds
	// it, and when the hold runs out, in milliseconds since the Unix
	// epoch. Both are absent from a confirmed booking.
	Holder    string `bson:"holder,omitempty"`
	HeldUntil int64  `bson:"held_until,omitempty"`
	// Releasing marks a held booking whose hold ran out and whose release
	// has begun (ReleaseExpiredHold): it is neither renewed nor confirmed
	// any more.
	Releasing bool `bson:"releasing,omitempty"`
}

// toBookingDoc is the booking document of b, a claim made at claimedAt.
func toBookingDoc(b vessel.Booking, claim primitive.ObjectID, claimedAt time.Time) bookingDoc {
	d := bookingDoc{
		ConsignmentID: b.ConsignmentID,
		Booking:       record.FromBooking(b),
		Claim:         claim,
		ClaimedAt:     claimedAt,
	}
	if b.Held() {
		d.Holder, d.HeldUntil = b.Holder, b.HeldUntil.UnixMilli()
	}
	return d
}

func (d bookingDoc) toBooking() vessel.Booking {
	b := d.ToBooking(d.ConsignmentID)
	if d.Holder != "" {
		b.Holder, b.HeldUntil = d.Holder, time.UnixMilli(d.HeldUntil).UTC()
	}
	return b
}
