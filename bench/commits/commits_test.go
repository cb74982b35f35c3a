package commits

import (
	"context"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/bench/load"
)

func TestMeasure(t *testing.T) {
	t.Parallel()
	for _, mode := range []Mode{Update, Batch} {
		t.Run(mode.String(), func(t *testing.T) {
			t.Parallel()
			got, err := Measure(context.Background(), t.TempDir(), mode,
				load.Options{Concurrency: 4, Duration: 100 * time.Millisecond})
			if err != nil {
				t.Fatalf("Measure: %v", err)
			}
			if got.Calls == 0 || got.Errors != 0 {
				t.Errorf("Measure: got %d commits and %d errors, want some commits and no error", got.Calls, got.Errors)
			}
		})
	}
}
