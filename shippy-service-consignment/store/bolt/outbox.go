package bolt

import "github.com/shippy-suite/shippy/platform/boltdb"

// storeOutbox is the store's outbox: the outbox and outbox_ids buckets,
// written in the transaction of the consignment the events announce
// (boltdb.Outbox, docs/outbox.md). Store embeds its outbox.Store.
var storeOutbox = boltdb.Outbox{Events: outboxBucket, IDs: outboxIDsBucket}
