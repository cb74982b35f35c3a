package main

import "testing"

func TestMeasureTokenVerify(t *testing.T) {
	first, remembered := measureTokenVerify(t.Context())
	for name, l := range map[string]struct{ p50, p99 int64 }{
		"first": {int64(first.P50), int64(first.P99)}, "remembered": {int64(remembered.P50), int64(remembered.P99)},
	} {
		if l.p50 <= 0 || l.p99 < l.p50 {
			t.Errorf("%s: p50 %d ns, p99 %d ns; want p50 > 0 and p99 >= p50", name, l.p50, l.p99)
		}
	}
	if first.Err != "" || remembered.Err != "" {
		t.Fatalf("errors: %q, %q", first.Err, remembered.Err)
	}
}
