package boltdb

import (
	"bytes"

	"go.etcd.io/bbolt"
)

// rewriteChunk is how many values RewriteValues rewrites per walk of a
// bucket.
const rewriteChunk = 1000

// RewriteValues replaces every value of the bucket name in tx by what fn
// returns for its key and value, in key order, for an upgrade
// (Upgrade.Apply) that changes the encoding of records. A bucket must not change under a cursor that
// walks it, so it reads a thousand values, puts their new values, then
// seeks past them. fn must not keep key or value, and must return a value
// of its own (not a part of value); nested buckets are left alone. It
// stops at fn's first error, and returns it: the caller's transaction
// then rolls back what it rewrote. A file without the bucket has no
// values to rewrite.
func RewriteValues(tx *bbolt.Tx, name []byte, fn func(key, value []byte) ([]byte, error)) error {
	bucket := tx.Bucket(name)
	if bucket == nil {
		return nil
	}
	type entry struct{ key, value []byte }
	chunk := make([]entry, 0, rewriteChunk)
	cur := bucket.Cursor()
	for key, value := cur.First(); key != nil; {
		chunk = chunk[:0]
		for ; key != nil && len(chunk) < rewriteChunk; key, value = cur.Next() {
			if value == nil && bucket.Bucket(key) != nil {
				continue
			}
			rewritten, err := fn(key, value)
			if err != nil {
				return err
			}
			chunk = append(chunk, entry{key: bytes.Clone(key), value: rewritten})
		}
		next := bytes.Clone(key) // nil after the last key
		for _, e := range chunk {
			if err := bucket.Put(e.key, e.value); err != nil {
				return err
			}
		}
		if next != nil {
			key, value = cur.Seek(next)
		}
	}
	return nil
}
