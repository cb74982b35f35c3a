package bolt

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/shippy-suite/shippy/shippy-service-consignment/consignment"
	"github.com/shippy-suite/shippy/shippy-service-consignment/store/bolt/internal/boltpb"
)

// recordCases are consignments a record must keep, as stored: every
// field, times in UTC (zero times stay zero), no containers as nil.
func recordCases() map[string]consignment.Consignment {
	created := time.Date(2025, 1, 2, 3, 4, 5, 123456789, time.UTC)
	pending := benchConsignment("p")
	pending.Status, pending.VesselID = consignment.StatusPending, ""
	pending.Lease = consignment.Lease{Owner: "instance-1", Until: created.Add(30 * time.Second)}
	owned := benchConsignment("o")
	owned.Owner = "user-ü/\x00"
	cancelled := benchConsignment("x")
	cancelled.Status, cancelled.Owner = consignment.StatusCancelled, "user-a"
	return map[string]consignment.Consignment{
		"booked":    benchConsignment("b"),
		"owned":     owned,
		"pending":   pending,
		"cancelled": cancelled,
		"bare":      {ID: "bare", Status: consignment.StatusBooked},
		"unicode": {
			ID: "ü/\x00", Description: "Ölfässer — 東京 \"q\" <&>", Weight: -1, VesselID: "v",
			Containers: []consignment.Container{{ID: "c"}},
			Status:     consignment.StatusBooked, CreatedAt: created,
		},
		"before the Unix epoch": {ID: "e", Status: consignment.StatusBooked, CreatedAt: time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC)},
		"Unix epoch":            {ID: "u", Status: consignment.StatusBooked, CreatedAt: time.Unix(0, 0).UTC()},
	}
}

// TestRecordRoundTrip checks that a consignment comes back from its
// encoded record as it went in, but in UTC.
func TestRecordRoundTrip(t *testing.T) {
	t.Parallel()
	cases := recordCases()
	zone := recordCases()["pending"]
	zone.CreatedAt = zone.CreatedAt.In(time.FixedZone("UTC-7", -7*3600))
	zone.Lease.Until = zone.Lease.Until.In(time.FixedZone("UTC+1", 3600))
	cases["other time zone"] = zone
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			r, err := toRecord(c, 42)
			if err != nil {
				t.Fatalf("toRecord: %v", err)
			}
			value, err := encodeRecord(r)
			if err != nil {
				t.Fatalf("encodeRecord: %v", err)
			}
			var back boltpb.Consignment
			if err := decodeRecord(value, &back); err != nil {
				t.Fatalf("decodeRecord: %v", err)
			}
			got, err := fromRecord(c.ID, &back)
			if err != nil {
				t.Fatalf("fromRecord: %v", err)
			}
			want := c
			want.CreatedAt, want.Lease.Until = want.CreatedAt.UTC(), want.Lease.Until.UTC()
			if diff := cmp.Diff(want, got); diff != "" || back.Seq != 42 {
				t.Errorf("round trip: seq %d, want 42 (-want +got):\n%s", back.Seq, diff)
			}
		})
	}
	if _, err := toRecord(consignment.Consignment{ID: "x", Status: "lost"}, 1); err == nil || !strings.Contains(err.Error(), `unknown status "lost"`) {
		t.Errorf("toRecord(status lost) = %v, want an unknown status error", err)
	}
}

// TestDecodeRecordErrors checks values that are no record of a pending or
// booked consignment.
func TestDecodeRecordErrors(t *testing.T) {
	t.Parallel()
	booked, err := encodeRecord(&boltpb.Consignment{Seq: 1, Status: boltpb.Status_STATUS_BOOKED, Description: "d"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		value []byte
		want  string
	}{
		{"empty", nil, "unknown status STATUS_UNSPECIFIED"},
		{"status unknown", protowire.AppendVarint(protowire.AppendTag(nil, 2, protowire.VarintType), 7), "unknown status 7"},
		{"truncated", booked[:len(booked)-1], "cannot parse invalid wire-format data"},
		{"a JSON record of version 2", []byte(`{"seq":1,"status":"booked"}`), "cannot parse invalid wire-format data"},
		{
			"description not UTF-8",
			protowire.AppendString(protowire.AppendTag(booked, 8, protowire.BytesType), "\xff"),
			"invalid UTF-8",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r boltpb.Consignment
			if err := decodeRecord(tt.value, &r); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("decodeRecord(%q) = %v, want an error containing %q", tt.value, err, tt.want)
			}
		})
	}
}

// FuzzDecodeRecord checks that any value decodes to a record or to an
// error, never a panic, and that the consignment of a record that decodes
// is stored again, and read back, unchanged.
func FuzzDecodeRecord(f *testing.F) {
	for _, c := range recordCases() {
		r, err := toRecord(c, 7)
		if err != nil {
			f.Fatal(err)
		}
		value, err := encodeRecord(r)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(value)
	}
	f.Add([]byte(`{"seq":1,"status":"booked"}`))
	f.Fuzz(func(t *testing.T, value []byte) {
		var r boltpb.Consignment
		if err := decodeRecord(value, &r); err != nil {
			return
		}
		c, err := fromRecord("id", &r)
		if err != nil {
			t.Fatalf("fromRecord of a record decodeRecord accepted: %v", err)
		}
		again, err := toRecord(c, r.Seq)
		if err != nil {
			t.Fatalf("toRecord of a consignment read back: %v", err)
		}
		encoded, err := encodeRecord(again)
		if err != nil {
			t.Fatalf("encodeRecord of a consignment read back: %v", err)
		}
		var back boltpb.Consignment
		if err := decodeRecord(encoded, &back); err != nil {
			t.Fatalf("decodeRecord of a record encodeRecord wrote: %v", err)
		}
		got, err := fromRecord("id", &back)
		if diff := cmp.Diff(c, got); err != nil || diff != "" || back.Seq != r.Seq {
			t.Errorf("stored again: seq %d, want %d; %v (-want +got):\n%s", back.Seq, r.Seq, err, diff)
		}
	})
}

// BenchmarkRecord measures encoding and decoding one record of
// benchConsignment (three containers): the protobuf records of schema
// version 4, and the JSON records of version 2 for comparison. Decoding
// includes the conversion to the domain's consignment, as Get and List do.
func BenchmarkRecord(b *testing.B) {
	c := benchConsignment("0123456789abcdef0123456789abcdef")
	b.Run("protobuf/encode", func(b *testing.B) {
		for b.Loop() {
			r, err := toRecord(c, 1)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := encodeRecord(r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("protobuf/decode", func(b *testing.B) {
		r, err := toRecord(c, 1)
		if err != nil {
			b.Fatal(err)
		}
		value, err := encodeRecord(r)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			var r boltpb.Consignment
			if err := decodeRecord(value, &r); err != nil {
				b.Fatal(err)
			}
			if _, err := fromRecord(c.ID, &r); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(value)), "value-B")
	})
	b.Run("json-v2/encode", func(b *testing.B) {
		for b.Loop() {
			if _, err := json.Marshal(toV2Record(c, 1)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json-v2/decode", func(b *testing.B) {
		value, err := json.Marshal(toV2Record(c, 1))
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			var r v2Record
			if err := json.Unmarshal(value, &r); err != nil {
				b.Fatal(err)
			}
			if _, err := r.consignment(c.ID); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(len(value)), "value-B")
	})
}

// toV2Record returns the record of schema version 2 of c at seq, as that
// version's store wrote it.
func toV2Record(c consignment.Consignment, seq uint64) v2Record {
	r := v2Record{
		Seq:         seq,
		Status:      string(c.Status),
		CreatedAt:   c.CreatedAt.UTC(),
		LeaseOwner:  c.Lease.Owner,
		LeaseUntil:  c.Lease.Until.UTC(),
		Description: c.Description,
		Weight:      c.Weight,
		Containers:  make([]v2Container, len(c.Containers)),
		VesselID:    c.VesselID,
	}
	for i, ct := range c.Containers {
		r.Containers[i] = v2Container{ID: ct.ID, CustomerID: ct.CustomerID, Origin: ct.Origin, UserID: ct.UserID}
	}
	return r
}
