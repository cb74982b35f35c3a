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
	if got := q.Pending(10); !slices.Equal(ids(got), ids(ms)) || got[0].Data[0] != 0 {
		t.Errorf("Pending(10) = %v, want %v with the data given", got, ms)
	}
	got := q.Pending(2)
	if !slices.Equal(ids(got), ids(ms[:2])) {
		t.Errorf("Pending(2) = %v, want %v", ids(got), ids(ms[:2]))
	}
	got[0].Data[0] = 7
	q.Done([]string{ms[1].ID, "no-such-message", ms[3].ID})
	want := []Message{ms[0], ms[2]}
	if got := q.Pending(10); !slices.Equal(ids(got), ids(want)) || got[0].Data[0] != 0 || q.Len() != 2 {
		t.Errorf("after Done: Pending = %v, Len = %d; want %v unchanged", got, q.Len(), ids(want))
	}
}
