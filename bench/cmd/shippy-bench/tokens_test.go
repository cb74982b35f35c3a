package main

import "testing"

func TestMeasureTokenVerify(t *testing.T) {
	got := measureTokenVerify(t.Context())
	if got.Err != "" || got.P50 <= 0 || got.P99 < got.P50 {
		t.Fatalf("measureTokenVerify = %+v; want p50 > 0, p99 >= p50 and no error", got)
	}
}
