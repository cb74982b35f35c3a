package outbox

import (
	"slices"
	"testing"
	"time"
)

// TestQueue adds, reads and removes messages, and checks that the queue
// keeps copies.
func TestQueue(t *testing.T) {
	t.Parallel()
	var q Queue
	ms := messages("q", 4, time.Now())
	given := slices.Clone(ms)
	given[0].Data = []byte{0}
	q.Add(given...)
	given[0].Data[0] = 9
	pending := func(limit int) []Message {
		t.Helper()
		got, err := q.Pending(t.Context(), limit)
		if err != nil {
			t.Fatalf("Pending(%d): %v", limit, err)
		}
		return got
	}
	if got := pending(10); !slices.Equal(ids(got), ids(ms)) || got[0].Data[0] != 0 {
		t.Errorf("Pending(10) = %v, want %v with the data given", got, ms)
	}
	got := pending(2)
	if !slices.Equal(ids(got), ids(ms[:2])) {
		t.Errorf("Pending(2) = %v, want %v", ids(got), ids(ms[:2]))
	}
	got[0].Data[0] = 7
	if err := q.Done(t.Context(), []string{ms[1].ID, "no-such-message", ms[3].ID}); err != nil {
		t.Fatalf("Done: %v", err)
	}
	want := []Message{ms[0], ms[2]}
	if n, err := q.Count(t.Context()); err != nil || n != 2 {
		t.Errorf("after Done: Count = %d, %v; want 2", n, err)
	}
	if got := pending(10); !slices.Equal(ids(got), ids(want)) || got[0].Data[0] != 0 {
		t.Errorf("after Done: Pending = %v; want %v unchanged", got, ids(want))
	}
}
