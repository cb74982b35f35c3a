package bolt

import (
	"github.com/shippy-suite/shippy/shippy-service-vessel/store/internal/record"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// vesselRecord is a vessel as stored, under its id in the vessels bucket,
// in JSON. The id is the key and is not repeated in the value.
type vesselRecord = record.Vessel

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
