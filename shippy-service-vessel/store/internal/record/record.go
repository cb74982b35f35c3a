// Package record is the stored fields of a vessel and of a booking as the
// vessel service's MongoDB documents name them, and their conversion from
// and to the domain's. The MongoDB store wraps them in its own types with
// the key; the bbolt store has its own protobuf records. Renaming a stored
// name, or changing a field's meaning, is a MongoDB migration.
package record

import "github.com/shippy-suite/shippy/shippy-service-vessel/vessel"

// Vessel is a vessel as stored, but for its id. Capacities count
// containers; weights are in kilograms.
type Vessel struct {
	Name         string `bson:"name"`
	OwnerID      string `bson:"owner_id"`
	Capacity     int32  `bson:"capacity"`
	MaxWeight    int32  `bson:"max_weight"`
	Available    bool   `bson:"available"`
	UsedCapacity int32  `bson:"used_capacity"`
	UsedWeight   int32  `bson:"used_weight"`
}

// FromVessel returns the stored fields of v.
func FromVessel(v vessel.Vessel) Vessel {
	return Vessel{
		Name:         v.Name,
		OwnerID:      v.OwnerID,
		Capacity:     v.Capacity,
		MaxWeight:    v.MaxWeight,
		Available:    v.Available,
		UsedCapacity: v.UsedCapacity,
		UsedWeight:   v.UsedWeight,
	}
}

// ToVessel returns the vessel r stores under id.
func (r Vessel) ToVessel(id string) vessel.Vessel {
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

// Booking is a booking as stored, but for its consignment id. Weight is in
// kilograms.
type Booking struct {
	VesselID   string `bson:"vessel_id"`
	Containers int32  `bson:"containers"`
	Weight     int32  `bson:"weight"`
}

// FromBooking returns the stored fields of b.
func FromBooking(b vessel.Booking) Booking {
	return Booking{VesselID: b.VesselID, Containers: b.Containers, Weight: b.Weight}
}

// ToBooking returns the booking r stores for the consignment.
func (r Booking) ToBooking(consignmentID string) vessel.Booking {
	return vessel.Booking{ConsignmentID: consignmentID, VesselID: r.VesselID, Containers: r.Containers, Weight: r.Weight}
}
