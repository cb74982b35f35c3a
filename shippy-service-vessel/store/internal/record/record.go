// Package record is what the vessel service's bbolt records and MongoDB
// documents share: the stored fields of a vessel and of a booking, named
// for both codecs, and their conversion from and to the domain's. Renaming a stored name, or
// changing a field's meaning, is a new bbolt schema version and a MongoDB
// migration (see docs/embedded-store.md).
package record

import "github.com/shippy-suite/shippy/shippy-service-vessel/vessel"

// Vessel is a vessel as stored, but for its id. Capacities count
// containers; weights are in kilograms.
type Vessel struct {
	Name         string `json:"name" bson:"name"`
	OwnerID      string `json:"owner_id" bson:"owner_id"`
	Capacity     int32  `json:"capacity" bson:"capacity"`
	MaxWeight    int32  `json:"max_weight" bson:"max_weight"`
	Available    bool   `json:"available" bson:"available"`
	UsedCapacity int32  `json:"used_capacity" bson:"used_capacity"`
	UsedWeight   int32  `json:"used_weight" bson:"used_weight"`
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
	VesselID   string `json:"vessel_id" bson:"vessel_id"`
	Containers int32  `json:"containers" bson:"containers"`
	Weight     int32  `json:"weight" bson:"weight"`
}

// FromBooking returns the stored fields of b.
func FromBooking(b vessel.Booking) Booking {
	return Booking{VesselID: b.VesselID, Containers: b.Containers, Weight: b.Weight}
}

// ToBooking returns the booking r stores for the consignment.
func (r Booking) ToBooking(consignmentID string) vessel.Booking {
	return vessel.Booking{ConsignmentID: consignmentID, VesselID: r.VesselID, Containers: r.Containers, Weight: r.Weight}
}
