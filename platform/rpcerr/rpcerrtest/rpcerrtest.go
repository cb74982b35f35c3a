// Package rpcerrtest checks, in tests and fuzz tests of go-micro handlers,
// that the handlers keep rpcerr's contract: bad input gets a client error
// that names the field at fault, never an internal error.
package rpcerrtest

import (
	"net/http"
	"regexp"
	"slices"
	"testing"

	microerrors "go-micro.dev/v5/errors"
	"google.golang.org/protobuf/proto"
)

// WantClientError fails tb unless err is nil or the answer of service with
// one of the codes; a 400's detail must match fields, which names the
// fields of the request: `^(id|weight): \S`. It returns the code, 0 for nil.
func WantClientError(tb testing.TB, err error, service string, fields *regexp.Regexp, codes ...int32) int32 {
	tb.Helper()
	if err == nil {
		return 0
	}
	e, ok := microerrors.As(err)
	if !ok {
		tb.Fatalf("got %v (%T), want a go-micro error", err, err)
	}
	if !slices.Contains(codes, e.Code) || e.Id != service {
		tb.Fatalf("got {id %q, code %d, detail %q}, want id %q and a code in %v", e.Id, e.Code, e.Detail, service, codes)
	}
	if e.Code == http.StatusBadRequest && !fields.MatchString(e.Detail) {
		tb.Fatalf("400 detail %q does not start with a field of the request (%s)", e.Detail, fields)
	}
	return e.Code
}

// Fuzz adds seeds, marshalled, to f's corpus and fuzzes fn with every input
// that decodes as a request of type M; it skips the others, which
// go-micro's server refuses before a handler runs.
func Fuzz[M any, P interface {
	*M
	proto.Message
}](f *testing.F, seeds []P, fn func(t *testing.T, req P)) {
	for _, s := range seeds {
		b, err := proto.Marshal(s)
		if err != nil {
			f.Fatalf("proto.Marshal(%v): %v", s, err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req := P(new(M))
		if err := proto.Unmarshal(data, req); err != nil {
			t.Skip("undecodable: go-micro answers before the handler")
		}
		fn(t, req)
	})
}
