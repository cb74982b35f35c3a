package store

import (
	"encoding/base64"
	"math"
	"testing"
)

func TestPageToken(t *testing.T) {
	t.Parallel()
	for _, n := range []uint64{1, 42, math.MaxUint64} {
		token := EncodePageToken("x1:", n)
		if got, ok := DecodePageToken("x1:", token); !ok || got != n {
			t.Errorf("DecodePageToken(EncodePageToken(%d)) = %d, %v; want %d, true", n, got, ok, n)
		}
	}
	if n, ok := DecodePageToken("x1:", ""); !ok || n != 0 {
		t.Errorf("DecodePageToken(\"\") = %d, %v; want 0, true (the first page)", n, ok)
	}
	raw := base64.RawURLEncoding.EncodeToString
	for name, token := range map[string]string{
		"not base64":     "%%%",
		"padded base64":  base64.URLEncoding.EncodeToString([]byte("x1:1")),
		"other prefix":   EncodePageToken("y1:", 1),
		"zero":           raw([]byte("x1:0")),
		"leading zero":   raw([]byte("x1:01")),
		"sign":           raw([]byte("x1:+1")),
		"negative":       raw([]byte("x1:-1")),
		"out of range":   raw([]byte("x1:18446744073709551616")),
		"no number":      raw([]byte("x1:")),
		"trailing bytes": raw([]byte("x1:1 ")),
	} {
		if n, ok := DecodePageToken("x1:", token); ok {
			t.Errorf("DecodePageToken(%s %q) = %d, true; want false", name, token, n)
		}
	}
}
