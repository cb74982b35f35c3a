package outbox

import (
	"bytes"
	"slices"
)

// Queue is an outbox in process memory, for a store that keeps its facts
// in memory: the store adds events under the lock that guards the fact
// they announce, so both are stored or neither. A Queue is not safe for
// concurrent use: the store's lock guards it. The zero Queue is empty.
type Queue struct {
	ms []Message // pending, in the order added
}

// Add appends copies of ms to the queue.
func (q *Queue) Add(ms ...Message) {
	for _, m := range ms {
		m.Data = bytes.Clone(m.Data)
		q.ms = append(q.ms, m)
	}
}

// Pending returns copies of the first limit messages, in the order added.
func (q *Queue) Pending(limit int) []Message {
	out := slices.Clone(q.ms[:min(limit, len(q.ms))])
	for i := range out {
		out[i].Data = bytes.Clone(out[i].Data)
	}
	return out
}

// Done removes the messages with the ids; ids not queued are skipped.
func (q *Queue) Done(ids []string) {
	q.ms = slices.DeleteFunc(q.ms, func(m Message) bool { return slices.Contains(ids, m.ID) })
}

// Len returns how many messages are queued.
func (q *Queue) Len() int { return len(q.ms) }
