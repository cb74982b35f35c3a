// Package record is what the vessel service's bbolt records and MongoDB
// documents share: a vessel's stored fields, named for both codecs, and
// their conversion from and to the domain's. Renaming a stored name, or
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
