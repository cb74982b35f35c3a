package bolt

import "github.com/shippy-suite/shippy/shippy-service-vessel/vessel"

// vesselRecord is a vessel as stored, under its id in the vessels bucket.
// The id is the key and is not repeated in the value. Capacities count
// containers; weights are in kilograms. Renaming a JSON name, or changing a
// field's meaning, is a new schema version.
type vesselRecord struct {
	Name         string `json:"name"`
	OwnerID      string `json:"owner_id"`
	Capacity     int32  `json:"capacity"`
	MaxWeight    int32  `json:"max_weight"`
	Available    bool   `json:"available"`
	UsedCapacity int32  `json:"used_capacity"`
	UsedWeight   int32  `json:"used_weight"`
}

func toVesselRecord(v vessel.Vessel) vesselRecord {
	return vesselRecord{
		Name:         v.Name,
		OwnerID:      v.OwnerID,
		Capacity:     v.Capacity,
		MaxWeight:    v.MaxWeight,
		Available:    v.Available,
		UsedCapacity: v.UsedCapacity,
		UsedWeight:   v.UsedWeight,
	}
}

func (r vesselRecord) toVessel(id string) vessel.Vessel {
	return vessel.Vessel{
		ID:           id,
		Name:         r.Name,
		OwnerID:      r.OwnerID,
		Capacity:     r.Capacity,
		MaxWeight:    r.MaxWeight,
		Available:    r.Available,
		UsedCapacity: r.UsedCapacity,
		UsedWeight:   r.UsedWeight,
	}
}

// bookingRecord is a booking as stored, under its consignment id in the
// bookings bucket. Weight is in kilograms.
type bookingRecord struct {
	VesselID   string `json:"vessel_id"`
	Containers int32  `json:"containers"`
	Weight     int32  `json:"weight"`
}

func toBookingRecord(b vessel.Booking) bookingRecord {
	return bookingRecord{VesselID: b.VesselID, Containers: b.Containers, Weight: b.Weight}
}

func (r bookingRecord) toBooking(consignmentID string) vessel.Booking {
	return vessel.Booking{
		ConsignmentID: consignmentID,
		VesselID:      r.VesselID,
		Containers:    r.Containers,
		Weight:        r.Weight,
	}
}
