package bolt

import "github.com/shippy-suite/shippy/shippy-service-vessel/store/internal/record"

// vesselRecord is a vessel as stored, under its id in the vessels bucket,
// in JSON. The id is the key and is not repeated in the value.
type vesselRecord = record.Vessel

// bookingRecord is a booking as stored, under its consignment id in the
// bookings bucket, in JSON.
type bookingRecord = record.Booking
