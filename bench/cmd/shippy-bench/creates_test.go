package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	consignmentpb "github.com/shippy-suite/shippy/proto/consignment"
)

func TestNewCreates(t *testing.T) {
	t.Parallel()
	booked := &consignmentpb.Response{Created: true, Consignment: &consignmentpb.Consignment{VesselId: "v1"}}
	refused := errors.New("refused")
	tests := []struct {
		name    string
		rsp     *consignmentpb.Response
		err     error
		wantErr string
	}{
		{name: "booked", rsp: booked},
		{name: "call fails", err: refused, wantErr: "refused"},
		{name: "not created", rsp: &consignmentpb.Response{Consignment: booked.Consignment}, wantErr: "without a booking"},
		{name: "no vessel", rsp: &consignmentpb.Response{Created: true}, wantErr: "without a booking"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var ids []string
			calls := newCreates("pfx", func(_ context.Context, req *consignmentpb.Consignment) (*consignmentpb.Response, error) {
				ids = append(ids, req.GetId())
				return tt.rsp, tt.err
			})
			err := calls("r1")(context.Background(), 2, 7)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("call: got %v, want an error containing %q", err, tt.wantErr)
			}
			if len(ids) != 1 || ids[0] != "pfx-r1-2-7" {
				t.Errorf("ids sent: got %q, want [pfx-r1-2-7]", ids)
			}
		})
	}
}
