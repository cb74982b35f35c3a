package outbox

import (
	"bytes"
	"context"
	"slices"
	"sync"
)

// Queue is an outbox in process memory, for a store that keeps its facts
// in memory: the store adds events while it holds the lock that guards the
// fact they announce, after storing the fact, so that a relay never sees
// an event before its fact. It is a Store, safe for concurrent use; a
// memory store embeds it to serve the relay. The zero Queue is empty.
type Queue struct {
	mu sync.Mutex
	ms []Message // pending, in the order added
}

var _ Store = (*Queue)(nil)

// Add appends copies of ms to the queue.
func (q *Queue) Add(ms ...Message) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, m := range ms {
		m.Data = bytes.Clone(m.Data)
		q.ms = append(q.ms, m)
	}
}

// Pending implements Store: copies of the first limit messages, in the
// order added. It returns ctx's error when ctx has ended.
func (q *Queue) Pending(ctx context.Context, limit int) ([]Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	out := slices.Clone(q.ms[:min(limit, len(q.ms))])
	for i := range out {
		out[i].Data = bytes.Clone(out[i].Data)
	}
	return out, nil
}

// Done implements Store: it removes the messages with the ids; ids not
// queued are skipped.
func (q *Queue) Done(ctx context.Context, ids []string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ms = slices.DeleteFunc(q.ms, func(m Message) bool { return slices.Contains(ids, m.ID) })
	return nil
}

// Count implements Store: how many messages are queued.
func (q *Queue) Count(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.ms), nil
}
