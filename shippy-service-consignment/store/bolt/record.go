package bolt

import "github.com/shippy-suite/shippy/shippy-service-consignment/consignment"

// consignmentRecord is a consignment as stored, under its id in the
// consignments bucket. The id is the key and is not repeated in the value.
// Weight is in kilograms. Renaming a JSON name, or changing a field's
// meaning, is a new schema version.
type consignmentRecord struct {
	Description string            `json:"description"`
	Weight      int32             `json:"weight"`
	Containers  []containerRecord `json:"containers"`
	VesselID    string            `json:"vessel_id"`
}

// containerRecord is one container of a consignmentRecord.
type containerRecord struct {
	ID         string `json:"id"`
	CustomerID string `json:"customer_id"`
	Origin     string `json:"origin"`
	UserID     string `json:"user_id"`
}

func toRecord(c consignment.Consignment) consignmentRecord {
	r := consignmentRecord{
		Description: c.Description,
		Weight:      c.Weight,
		Containers:  make([]containerRecord, len(c.Containers)),
		VesselID:    c.VesselID,
	}
	for i, ct := range c.Containers {
		r.Containers[i] = containerRecord{ID: ct.ID, CustomerID: ct.CustomerID, Origin: ct.Origin, UserID: ct.UserID}
	}
	return r
}

// toConsignment returns the consignment r stores under id. A consignment
// without containers has a nil slice.
func (r consignmentRecord) toConsignment(id string) consignment.Consignment {
	c := consignment.Consignment{
		ID:          id,
		Description: r.Description,
		Weight:      r.Weight,
		VesselID:    r.VesselID,
	}
	if len(r.Containers) > 0 {
		c.Containers = make([]consignment.Container, len(r.Containers))
		for i, ct := range r.Containers {
			c.Containers[i] = consignment.Container{ID: ct.ID, CustomerID: ct.CustomerID, Origin: ct.Origin, UserID: ct.UserID}
		}
	}
	return c
}
