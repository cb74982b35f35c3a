package mongo

import (
	"time"

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
	fieldOutbox     = "outbox"
	fieldOutboxID   = "outbox.id"
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
	Outbox []eventDoc `bson:"outbox,omitempty"`
}

// eventDoc is an event in a consignment's outbox (outbox.Message).
type eventDoc struct {
	ID        string    `bson:"id"`
	Subject   string    `bson:"subject"`
	Data      []byte    `bson:"data"`
	CreatedAt time.Time `bson:"created_at"`
}

// toDoc returns the document of c at place seq, with events in its outbox,
// or an error when c's status is not one the store can hold.
func toDoc(c consignment.Consignment, seq int64, events []outbox.Message) (consignmentDoc, error) {
	r, err := record.FromConsignment(c)
	d := consignmentDoc{ID: c.ID, Seq: seq, Consignment: r}
	for _, m := range events {
		d.Outbox = append(d.Outbox, eventDoc{ID: m.ID, Subject: m.Subject, Data: m.Data, CreatedAt: m.CreatedAt})
	}
	return d, err
}

// message returns the outbox.Message of e, its time in UTC.
func (e eventDoc) message() outbox.Message {
	return outbox.Message{ID: e.ID, Subject: e.Subject, Data: e.Data, CreatedAt: e.CreatedAt.UTC()}
}

// holderID is the _id of the holderDoc in the meta collection.
const holderID = "holder"

// holderDoc is the document in the meta collection that keeps the
// store's holder id (Store.Holder).
type holderDoc struct {
	ID     string `bson:"_id"`
	Holder string `bson:"holder"`
}
