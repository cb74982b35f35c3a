package bolt

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/shippy-suite/shippy/shippy-service-vessel/store/bolt/internal/boltpb"
	"github.com/shippy-suite/shippy/shippy-service-vessel/vessel"
)

// vesselCases are vessels a record must keep, every field.
func vesselCases() map[string]vessel.Vessel {
	return map[string]vessel.Vessel{
		"in use":  {ID: "vessel001", Name: "Boaty McBoatface", OwnerID: "owner-1", Capacity: 500, MaxWeight: 200000, Available: true, UsedCapacity: 17, UsedWeight: 55661},
		"bare":    {ID: "b"},
		"unicode": {ID: "ü/\x00", Name: "Ölfässer — 東京 \"q\" <&>", OwnerID: "ö", Capacity: 1, MaxWeight: 1},
		"largest": {ID: "l", Capacity: math.MaxInt32, MaxWeight: math.MaxInt32, Available: true, UsedCapacity: math.MaxInt32, UsedWeight: math.MaxInt32},
		// Never stored, but kept all the same.
		"negative": {ID: "n", Capacity: -1, MaxWeight: math.MinInt32, UsedCapacity: -2, UsedWeight: -3},
	}
}

// bookingCases are bookings a record must keep; their holds are not in it.
func bookingCases() map[string]vessel.Booking {
	return map[string]vessel.Booking{
		"booked":   {ConsignmentID: "c1", VesselID: "vessel001", Containers: 3, Weight: 55000},
		"unicode":  {ConsignmentID: "ü/\x00", VesselID: "東京", Containers: 1, Weight: 1},
		"largest":  {ConsignmentID: "l", VesselID: "v", Containers: math.MaxInt32, Weight: math.MaxInt32},
		"negative": {ConsignmentID: "n", VesselID: "v", Containers: -1, Weight: math.MinInt32},
	}
}

// TestRecordRoundTrip checks that a vessel and a booking come back from
// their records as they went in, decoded through a message that held
// another record before.
func TestRecordRoundTrip(t *testing.T) {
	t.Parallel()
	var used boltpb.Vessel // reused, as decodeFleet does
	for name, v := range vesselCases() {
		t.Run("vessel/"+name, func(t *testing.T) {
			value, err := encodeVessel(v)
			if err != nil {
				t.Fatalf("encodeVessel: %v", err)
			}
			if got, err := decodeVesselRecord(v.ID, value, &used); err != nil || got != v {
				t.Errorf("decodeVesselRecord = %+v, %v; want %+v", got, err, v)
			}
		})
	}
	var usedBooking boltpb.Booking
	for name, b := range bookingCases() {
		t.Run("booking/"+name, func(t *testing.T) {
			held := b
			held.Holder, held.HeldUntil = "h", vessel.HoldTime(time.Now())
			value, err := encodeBooking(held)
			if err != nil {
				t.Fatalf("encodeBooking: %v", err)
			}
			if got, err := decodeBookingRecord(b.ConsignmentID, value, &usedBooking); err != nil || got != b {
				t.Errorf("decodeBookingRecord = %+v, %v; want %+v, confirmed", got, err, b)
			}
			var s slab
			setBookingRecord(&usedBooking, b.VesselID, b.Containers, b.Weight)
			if appended, err := s.addRecord(&usedBooking); err != nil || string(appended) != string(value) {
				t.Errorf("slab.addRecord = %x, %v; want %x as encodeBooking", appended, err, value)
			}
		})
	}
}

// TestDecodeRecordErrors checks values that are no vessel or booking
// record.
func TestDecodeRecordErrors(t *testing.T) {
	t.Parallel()
	booking, err := encodeBooking(vessel.Booking{ConsignmentID: "c", VesselID: "vessel001", Containers: 1, Weight: 1})
	if err != nil {
		t.Fatal(err)
	}
	vesselValue, err := encodeVessel(vessel.Vessel{ID: "v", Name: "n", Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	v2Vessel, v2Booking := []byte(`{"name":"n","capacity":1}`), []byte(`{"vessel_id":"v","containers":1,"weight":1}`)
	tests := []struct {
		name    string
		vessel  bool // whether value is decoded as a vessel's record, else as a booking's
		value   []byte
		want    string
		wantErr error
	}{
		{"booking empty", false, nil, "booking of consignment \"id\": booking on no vessel", errNoVessel},
		{"booking truncated", false, booking[:len(booking)-1], "cannot parse invalid wire-format data", nil},
		{"booking a JSON record of version 2", false, v2Booking, "cannot parse invalid wire-format data", nil},
		{"booking vessel id not UTF-8", false, protowire.AppendString(protowire.AppendTag(nil, 1, protowire.BytesType), "\xff"), "invalid UTF-8", nil},
		{"vessel truncated", true, vesselValue[:len(vesselValue)-1], "cannot parse invalid wire-format data", nil},
		{"vessel a JSON record of version 2", true, v2Vessel, "cannot parse invalid wire-format data", nil},
		{"vessel name not UTF-8", true, protowire.AppendString(protowire.AppendTag(vesselValue, 1, protowire.BytesType), "\xff"), "invalid UTF-8", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var err error
			if tt.vessel {
				_, err = decodeVesselRecord("id", tt.value, new(boltpb.Vessel))
			} else {
				_, err = decodeBookingRecord("id", tt.value, new(boltpb.Booking))
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), `"id"`) {
				t.Errorf("decode(%q) = %v, want an error naming \"id\" and containing %q", tt.value, err, tt.want)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("decode(%q) = %v, want it to match %v", tt.value, err, tt.wantErr)
			}
		})
	}
}

// FuzzDecodeRecord checks that any value decodes, as a vessel's record and
// as a booking's, to a record or to an error, never a panic, and that what
// a record that decodes holds is stored again, and read back, unchanged.
func FuzzDecodeRecord(f *testing.F) {
	for _, v := range vesselCases() {
		value, err := encodeVessel(v)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(value)
	}
	for _, b := range bookingCases() {
		value, err := encodeBooking(b)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(value)
	}
	f.Add([]byte(`{"vessel_id":"v","containers":1,"weight":1}`))
	f.Fuzz(func(t *testing.T, value []byte) {
		if v, err := decodeVesselRecord("id", value, new(boltpb.Vessel)); err == nil {
			encoded, err := encodeVessel(v)
			if err != nil {
				t.Fatalf("encodeVessel of a vessel read back: %v", err)
			}
			if got, err := decodeVesselRecord("id", encoded, new(boltpb.Vessel)); err != nil || got != v {
				t.Errorf("vessel stored again = %+v, %v; want %+v", got, err, v)
			}
		}
		if b, err := decodeBookingRecord("id", value, new(boltpb.Booking)); err == nil {
			if b.VesselID == "" {
				t.Fatalf("decodeBookingRecord accepted a booking on no vessel: %+v", b)
			}
			encoded, err := encodeBooking(b)
			if err != nil {
				t.Fatalf("encodeBooking of a booking read back: %v", err)
			}
			if got, err := decodeBookingRecord("id", encoded, new(boltpb.Booking)); err != nil || got != b {
				t.Errorf("booking stored again = %+v, %v; want %+v", got, err, b)
			}
		}
	})
}

// BenchmarkRecord measures encoding and decoding the record of a vessel
// and of a booking: the protobuf records of schema version 3, encoded as
// BookHeld does (into a slab, through a reused message) and decoded as
// decodeFleet does (through a reused message), and the JSON records of
// version 2 for comparison.
func BenchmarkRecord(b *testing.B) {
	v := vessel.Vessel{ID: "vessel001", Name: "Boaty McBoatface", OwnerID: "owner-1", Capacity: 500, MaxWeight: 200000, Available: true, UsedCapacity: 17, UsedWeight: 55661}
	bk := vessel.Booking{ConsignmentID: "0123456789abcdef0123456789abcdef", VesselID: "vessel001", Containers: 3, Weight: 55000}
	b.Run("protobuf/vessel/encode", func(b *testing.B) {
		var r boltpb.Vessel
		s := make(slab, 0, 4096)
		for b.Loop() {
			s = s[:0]
			setVesselRecord(&r, v)
			if _, err := s.addRecord(&r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("protobuf/vessel/decode", func(b *testing.B) {
		value, err := encodeVessel(v)
		if err != nil {
			b.Fatal(err)
		}
		var r boltpb.Vessel
		for b.Loop() {
			if _, err := decodeVesselRecord(v.ID, value, &r); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(value)), "value-B")
	})
	b.Run("protobuf/booking/encode", func(b *testing.B) {
		var r boltpb.Booking
		s := make(slab, 0, 4096)
		for b.Loop() {
			s = s[:0]
			setBookingRecord(&r, bk.VesselID, bk.Containers, bk.Weight)
			if _, err := s.addRecord(&r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("protobuf/booking/decode", func(b *testing.B) {
		value, err := encodeBooking(bk)
		if err != nil {
			b.Fatal(err)
		}
		var r boltpb.Booking
		for b.Loop() {
			if _, err := decodeBookingRecord(bk.ConsignmentID, value, &r); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(value)), "value-B")
	})
	old := v2Vessel{Name: v.Name, OwnerID: v.OwnerID, Capacity: v.Capacity, MaxWeight: v.MaxWeight, Available: v.Available, UsedCapacity: v.UsedCapacity, UsedWeight: v.UsedWeight}
	oldBooking := v2Booking{VesselID: bk.VesselID, Containers: bk.Containers, Weight: bk.Weight}
	b.Run("json-v2/vessel/encode", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(&old); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json-v2/vessel/decode", func(b *testing.B) {
		value, err := json.Marshal(&old)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			var r v2Vessel
			if err := json.Unmarshal(value, &r); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(value)), "value-B")
	})
	b.Run("json-v2/booking/encode", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(&oldBooking); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json-v2/booking/decode", func(b *testing.B) {
		value, err := json.Marshal(&oldBooking)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			var r v2Booking
			if err := json.Unmarshal(value, &r); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(value)), "value-B")
	})
}
