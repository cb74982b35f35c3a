package mongo

import (
	"github.com/shippy-suite/shippy/platform/mongodb"
	"github.com/shippy-suite/shippy/platform/outbox"
	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/internal/record"
)

// Field names of the documents, as used in queries, updates and indexes.
const (
	fieldID         = "_id"
	fieldSeq        = "seq"
	fieldStatus     = "status"
	fieldLeaseUntil = "lease_until"
	fieldLeaseOwner = "lease_owner"
	fieldOwner      = "owner"
)

// consignmentDoc is a consignment as stored in the consignments
// collection, pending or booked. Times are kept to the millisecond.
type consignmentDoc struct {
	ID string `bson:"_id"`
	// Seq is the consignment's place in creation order, unique.
	Seq                int64 `bson:"seq"`
	record.Consignment `bson:",inline"`
	// Outbox holds the events announcing the consignment that wait to be
	// published, written with it; Done pulls them.
	Outbox []mongodb.OutboxEvent `bson:"outbox,omitempty"`
}

// toDoc returns the document of c at place seq, with events in its outbox,
// or an error when c's status is not one the store can hold.
func toDoc(c consignment.Consignment, seq int64, events []outbox.Message) (consignmentDoc, error) {
	r, err := record.FromConsignment(c)
	d := consignmentDoc{ID: c.ID, Seq: seq, Consignment: r}
	d.Outbox = mongodb.OutboxEvents(events)
	return d, err
}

// holderID is the _id of the holderDoc in the meta collection.
const holderID = "holder"

// holderDoc is the document in the meta collection that keeps the
// store's holder id (Store.Holder).
type holderDoc struct {
	ID     string `bson:"_id"`
	Holder string `bson:"holder"`
}
