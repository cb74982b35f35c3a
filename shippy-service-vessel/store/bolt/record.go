package bolt

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/shippy-suite/shippy/shippy-service-vessel/store/bolt/internal/boltpb"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// A vessel is stored under its id in the vessels bucket as a boltpb.Vessel,
// and a booking under its consignment id in the bookings bucket as a
// boltpb.Booking, in protobuf (internal/boltpb/vessel.proto): their fields
// but the key. A booking's hold is not in its record (holds.go). Files of
// schema versions 1 and 2 held JSON records (migrate.go).

// setVesselRecord makes r the record of v.
func setVesselRecord(r *boltpb.Vessel, v vessel.Vessel) {
	*r = boltpb.Vessel{
		Name:         v.Name,
		OwnerId:      v.OwnerID,
		Capacity:     v.Capacity,
		MaxWeight:    v.MaxWeight,
		Available:    v.Available,
		UsedCapacity: v.UsedCapacity,
		UsedWeight:   v.UsedWeight,
	}
}

// toVessel returns the vessel r stores under id.
func toVessel(id string, r *boltpb.Vessel) vessel.Vessel {
	return vessel.Vessel{
		ID:           id,
		Name:         r.Name,
		OwnerID:      r.OwnerId,
		Capacity:     r.Capacity,
		MaxWeight:    r.MaxWeight,
		Available:    r.Available,
		UsedCapacity: r.UsedCapacity,
		UsedWeight:   r.UsedWeight,
	}
}

// setBookingRecord makes r the record of a booking on the vessel.
func setBookingRecord(r *boltpb.Booking, vesselID string, containers, weight int32) {
	*r = boltpb.Booking{VesselId: vesselID, Containers: containers, Weight: weight}
}

// toBooking returns the confirmed booking r stores for the consignment.
func toBooking(consignmentID string, r *boltpb.Booking) vessel.Booking {
	return vessel.Booking{ConsignmentID: consignmentID, VesselID: r.VesselId, Containers: r.Containers, Weight: r.Weight}
}

// encodeVessel returns the record of v, as stored.
func encodeVessel(v vessel.Vessel) ([]byte, error) {
	var r boltpb.Vessel
	setVesselRecord(&r, v)
	value, err := proto.Marshal(&r)
	if err != nil {
		return nil, fmt.Errorf("encode vessel %q: %w", v.ID, err)
	}
	return value, nil
}

// encodeBooking returns the record of b, as stored; b's hold is not in it.
func encodeBooking(b vessel.Booking) ([]byte, error) {
	var r boltpb.Booking
	setBookingRecord(&r, b.VesselID, b.Containers, b.Weight)
	value, err := proto.Marshal(&r)
	if err != nil {
		return nil, fmt.Errorf("encode booking of consignment %q: %w", b.ConsignmentID, err)
	}
	return value, nil
}

// errNoVessel is the error of decoding a booking record without a vessel:
// the store writes none, and an empty value decodes to one.
var errNoVessel = errors.New("booking on no vessel")

// decodeVesselRecord decodes value, the record of the vessel with the id,
// into r, and returns the vessel; or it returns an error, naming the id,
// when value is not protobuf of a vessel record.
func decodeVesselRecord(id string, value []byte, r *boltpb.Vessel) (vessel.Vessel, error) {
	if err := proto.Unmarshal(value, r); err != nil {
		return vessel.Vessel{}, fmt.Errorf("decode vessel %q: %w", id, err)
	}
	return toVessel(id, r), nil
}

// decodeBookingRecord decodes value, the record of the consignment's
// booking, into r, and returns the booking, confirmed; or it returns an
// error, naming the consignment, when value is not protobuf of a booking
// record, or is of a booking on no vessel.
func decodeBookingRecord(consignmentID string, value []byte, r *boltpb.Booking) (vessel.Booking, error) {
	err := proto.Unmarshal(value, r)
	if err == nil && r.VesselId == "" {
		err = errNoVessel
	}
	if err != nil {
		return vessel.Booking{}, fmt.Errorf("decode booking of consignment %q: %w", consignmentID, err)
	}
	return toBooking(consignmentID, r), nil
}
