package boltdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// The meta bucket, which every store's file has, holds the schema version
// under the schema key. See docs/embedded-store.md.
const (
	metaBucket = "meta"
	schemaKey  = "schema"
)

// Layout is what a store keeps in its bbolt file, for OpenStore.
type Layout struct {
	// Name says what the file holds, in errors: "consignment store".
	Name string
	// Version is the version of the file layout the store reads and
	// writes, stored as decimal ASCII under meta/"schema". A change of
	// layout is a new version.
	Version string
	// Buckets are the store's top-level buckets, besides meta. OpenStore
	// creates those a file lacks, after any upgrade.
	Buckets [][]byte
	// Upgrades bring files of older versions to Version, each from its
	// From version to the From of the next, the last to Version. A file
	// of a version no upgrade starts from, other than Version, is refused.
	Upgrades []Upgrade
	// Unavailable is the domain's error (such as vessel.ErrUnavailable)
	// that the errors of calls on a closed DB match.
	Unavailable error
}

// Upgrade changes a file of version From to the layout of the next
// version (see Layout.Upgrades).
type Upgrade struct {
	From string
	// Apply changes the file, in the transaction that opens it; nil when
	// the next version only adds buckets, which OpenStore creates.
	Apply func(tx *bbolt.Tx) error
}

// DB is the bbolt file of a store: read-only transactions, and read-write
// ones that share commits through a Batcher. It is safe for concurrent
// use. Its methods return ctx's error, and run nothing, when ctx is done
// before they start; after Close, their errors match Layout.Unavailable.
type DB struct {
	bolt    *bbolt.DB
	batcher *Batcher
	layout  Layout
}

// OpenStore opens the file at path with Open, creating it and the
// layout's buckets when they do not exist, and checks that an existing
// file has the layout's version, or upgrades it: the upgrades, the new
// buckets and the new version are one transaction, so a crash leaves the
// file as it was. The directory must exist. It fails,
// after OpenTimeout, when another process or DB holds the file. Every
// error names the layout and the path: "open consignment store <path>:
// ...".
func OpenStore(path string, l Layout) (*DB, error) {
	db, err := Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s %s: %w", l.Name, path, err)
	}
	if err := db.Update(l.initialize); err != nil {
		return nil, errors.Join(fmt.Errorf("open %s %s: %w", l.Name, path, err), db.Close())
	}
	return &DB{bolt: db, batcher: NewBatcher(db), layout: l}, nil
}

// initialize creates the buckets of a new file, and checks the schema
// version of an existing one or upgrades it.
func (l Layout) initialize(tx *bbolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists([]byte(metaBucket))
	if err != nil {
		return err
	}
	if v := meta.Get([]byte(schemaKey)); v != nil && string(v) != l.Version {
		if err := l.upgrade(tx, string(v)); err != nil {
			return err
		}
	}
	if v := meta.Get([]byte(schemaKey)); v == nil || string(v) != l.Version {
		if err := meta.Put([]byte(schemaKey), []byte(l.Version)); err != nil {
			return err
		}
	}
	for _, name := range l.Buckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	return nil
}

// upgrade runs the upgrades from version to the layout's, in tx.
func (l Layout) upgrade(tx *bbolt.Tx, version string) error {
	first := slices.IndexFunc(l.Upgrades, func(u Upgrade) bool { return u.From == version })
	if first < 0 {
		return fmt.Errorf("schema version %q, this program reads version %q (move the file away to start with an empty store)", version, l.Version)
	}
	for _, u := range l.Upgrades[first:] {
		if u.Apply == nil {
			continue
		}
		if err := u.Apply(tx); err != nil {
			return fmt.Errorf("upgrade from schema version %q: %w", u.From, err)
		}
	}
	return nil
}

// MetaValue returns the value under key in the file's meta bucket (never
// "schema", the layout's version). When the key is absent it first stores
// newValue() there, in a committed transaction shared with no other
// value's, so that every call, in this process or after the file is opened
// again, returns the same value: such as an id the store makes once. The
// value returned is the caller's.
func (d *DB) MetaValue(ctx context.Context, key string, newValue func() []byte) ([]byte, error) {
	if key == schemaKey {
		return nil, fmt.Errorf("meta key %q is the schema version's", key)
	}
	var value []byte
	read := func(tx *bbolt.Tx) error {
		value = bytes.Clone(tx.Bucket([]byte(metaBucket)).Get([]byte(key)))
		return nil
	}
	if err := d.View(ctx, read); err != nil || value != nil {
		return value, err
	}
	err := d.Update(ctx, func(tx *bbolt.Tx) error {
		if err := read(tx); err != nil || value != nil {
			return err // stored by a concurrent call
		}
		value = newValue()
		return tx.Bucket([]byte(metaBucket)).Put([]byte(key), value)
	})
	if err != nil {
		return nil, err
	}
	return bytes.Clone(value), nil
}

// View runs fn in a read-only transaction.
func (d *DB) View(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return d.unavailableIfClosed(d.bolt.View(fn))
}

// Update runs fn in a read-write transaction shared with concurrent calls
// (Batcher.Batch, whose contract fn follows: it may run more than once,
// and an error made by Refuse commits the others' changes), and returns
// once it is committed and synced, or has failed.
func (d *DB) Update(ctx context.Context, fn func(*bbolt.Tx) error) error {
	return d.unavailableIfClosed(d.batcher.Batch(ctx, fn))
}

// unavailableIfClosed makes the error of a transaction on a closed
// database match the layout's Unavailable. Every other bbolt error is
// internal, and errors from the transaction's function pass unchanged.
func (d *DB) unavailableIfClosed(err error) error {
	if errors.Is(err, bolterrors.ErrDatabaseNotOpen) {
		return fmt.Errorf("%w: %w", d.layout.Unavailable, err)
	}
	return err
}

// Close waits for running transactions to end and closes the file.
// Closing a closed DB does nothing.
func (d *DB) Close() error {
	if err := d.bolt.Close(); err != nil {
		return fmt.Errorf("close %s %s: %w", d.layout.Name, d.bolt.Path(), err)
	}
	return nil
}

// Bolt returns the bbolt database, for tests that read the file or its
// statistics beside the store.
func (d *DB) Bolt() *bbolt.DB { return d.bolt }

// Batcher returns the Batcher of Update, for tests that make changes share
// a commit (boltdbtest.Hold).
func (d *DB) Batcher() *Batcher { return d.batcher }
