package storetesting

import (
	"errors"
	"sync"
	"testing"
)

// Race calls call(i) for every i in [0, n) at once, each in a goroutine of
// its own, and returns the errors by i once every call has returned.
func Race(n int, call func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = call(i) })
	}
	wg.Wait()
	return errs
}

// Winners returns the indexes of the nil errors in errs, in order, and
// fails t for every other error that does not match lost (the error a
// call that lost the race returns). what names the calls, for the
// messages ("TakeRoom").
func Winners(t testing.TB, what string, errs []error, lost error) []int {
	t.Helper()
	var won []int
	for i, err := range errs {
		switch {
		case err == nil:
			won = append(won, i)
		case !errors.Is(err, lost):
			t.Errorf("%s try %d: error %v, want nil or %v", what, i, err, lost)
		}
	}
	return won
}
