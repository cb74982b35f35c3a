package bolt

import (
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/internal/record"
)

// consignmentRecord is a consignment as stored, under its id in the
// consignments bucket, in JSON. The id is the key and is not repeated in
// the value.
type consignmentRecord struct {
	// Seq is the consignment's key in the order bucket.
	Seq uint64 `json:"seq"`
	record.Consignment
}

// toRecord returns the record of c at sequence number seq, or an error
// when c's status is not one the file can hold.
func toRecord(c consignment.Consignment, seq uint64) (consignmentRecord, error) {
	r, err := record.FromConsignment(c)
	return consignmentRecord{Seq: seq, Consignment: r}, err
}
