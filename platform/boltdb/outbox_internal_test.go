package boltdb

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/shippy-suite/shippy/platform/outbox"
)

// TestOutboxEncoding holds the encoding of an event to the bytes that
// consignment.db (schema 5) and user.db (schema 2) files hold, both ways:
// a change of the record is a new schema version, never a silent one.
func TestOutboxEncoding(t *testing.T) {
	t.Parallel()
	m := outbox.Message{ID: "e-1", Subject: "shippy.test.booked", Data: []byte("payload"),
		CreatedAt: time.Date(2026, 7, 8, 9, 10, 11, 123456789, time.UTC)}
	const stored = "0a03652d3112127368697070792e746573742e626f6f6b65641a077061796c6f616420e6cff0a40d28959aef3a"

	b, err := encodeMessage(m)
	if err != nil || hex.EncodeToString(b) != stored {
		t.Errorf("encodeMessage = %x, %v; want %s", b, err, stored)
	}
	raw, err := hex.DecodeString(stored)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeMessage(raw)
	if err != nil {
		t.Fatalf("decodeMessage(%s) = %v", stored, err)
	}
	if diff := cmp.Diff(m, got); diff != "" {
		t.Errorf("decodeMessage (-want +got):\n%s", diff)
	}
}
