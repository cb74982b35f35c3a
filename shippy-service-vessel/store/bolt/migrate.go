package bolt

import (
	"encoding/json"
	"fmt"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"

	"github.com/shippy-suite/shippy/platform/boltdb"
	"github.com/shippy-suite/shippy/shippy-service-vessel/store/bolt/internal/boltpb"
)

// v2Vessel and v2Booking are the records of schema versions 1 and 2, in
// JSON, as the releases before protobuf records wrote them. They are kept
// to upgrade such files only.
type v2Vessel struct {
	Name         string `json:"name"`
	OwnerID      string `json:"owner_id"`
	Capacity     int32  `json:"capacity"`
	MaxWeight    int32  `json:"max_weight"`
	Available    bool   `json:"available"`
	UsedCapacity int32  `json:"used_capacity"`
	UsedWeight   int32  `json:"used_weight"`
}

type v2Booking struct {
	VesselID   string `json:"vessel_id"`
	Containers int32  `json:"containers"`
	Weight     int32  `json:"weight"`
}

// upgradeV2 rewrites every vessel and booking record of a file of schema
// version 2 as a record of version 3, in tx: the records' encoding is all
// that changed, and the hold entries stay as they are. A file of version 1
// has the same records, and is upgraded to version 2 by adding a bucket
// only. It fails on a record it cannot decode, naming its key.
func upgradeV2(tx *bbolt.Tx) error {
	if err := boltdb.RewriteValues(tx, vesselsBucket, upgradeV2Vessel); err != nil {
		return err
	}
	return boltdb.RewriteValues(tx, bookingsBucket, upgradeV2Booking)
}

// upgradeV2Vessel returns the version 3 record of value, the version 2
// record of the vessel with the id.
func upgradeV2Vessel(id, value []byte) ([]byte, error) {
	var old v2Vessel
	if err := json.Unmarshal(value, &old); err != nil {
		return nil, fmt.Errorf("decode vessel %q of version 2: %w", id, err)
	}
	return proto.Marshal(&boltpb.Vessel{
		Name:         old.Name,
		OwnerId:      old.OwnerID,
		Capacity:     old.Capacity,
		MaxWeight:    old.MaxWeight,
		Available:    old.Available,
		UsedCapacity: old.UsedCapacity,
		UsedWeight:   old.UsedWeight,
	})
}

// upgradeV2Booking returns the version 3 record of value, the version 2
// record of the consignment's booking.
func upgradeV2Booking(consignmentID, value []byte) ([]byte, error) {
	var old v2Booking
	if err := json.Unmarshal(value, &old); err != nil {
		return nil, fmt.Errorf("decode booking of consignment %q of version 2: %w", consignmentID, err)
	}
	if old.VesselID == "" {
		return nil, fmt.Errorf("booking of consignment %q of version 2: %w", consignmentID, errNoVessel)
	}
	return proto.Marshal(&boltpb.Booking{VesselId: old.VesselID, Containers: old.Containers, Weight: old.Weight})
}
