package boltdb_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/shippy-suite/shippy/platform/boltdb"
)

func openStore(t *testing.T, path string) *boltdb.DB {
	t.Helper()
	db, err := boltdb.OpenStore(path, boltdb.Layout{Name: "test store", Version: "1", Unavailable: errUnavailable})
	if err != nil {
		t.Fatalf("OpenStore: %v", err)
	}
	return db
}

// TestMetaValue checks that a meta value is made once, by one of
// concurrent first calls, and kept across a reopening.
func TestMetaValue(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "meta.db")
	db := openStore(t, path)

	const callers = 8
	got := make([][]byte, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			got[i], errs[i] = db.MetaValue(ctx, "holder", func() []byte { return fmt.Appendf(nil, "value-%d", i) })
		})
	}
	wg.Wait()
	for i := range callers {
		if errs[i] != nil || !bytes.Equal(got[i], got[0]) || len(got[i]) == 0 {
			t.Errorf("MetaValue call %d = %q, %v; want %q as every call", i, got[i], errs[i], got[0])
		}
	}
	got[0][0] = 'X' // the caller's copy
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	again := openStore(t, path)
	defer again.Close()
	v, err := again.MetaValue(ctx, "holder", func() []byte { return []byte("new") })
	if err != nil || !bytes.Equal(v, got[1]) {
		t.Errorf("MetaValue after reopening = %q, %v; want %q", v, err, got[1])
	}
	if _, err := again.MetaValue(ctx, "schema", func() []byte { return []byte("9") }); err == nil {
		t.Error(`MetaValue("schema") = nil error, want an error`)
	}
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := again.MetaValue(canceled, "other", func() []byte { return []byte("x") }); !errors.Is(err, context.Canceled) {
		t.Errorf("MetaValue with a canceled context = %v, want context.Canceled", err)
	}
}
