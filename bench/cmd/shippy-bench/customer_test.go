package main

import (
	"context"
	"strings"
	"testing"
	"time"

	micrometadata "go-micro.dev/v5/metadata"
	grpcmetadata "google.golang.org/grpc/metadata"
)

func TestWithToken(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, token, want string
	}{
		{name: "token", token: "a.b.c", want: "Bearer a.b.c"},
		{name: "none", token: "", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			md, _ := micrometadata.FromContext(withToken(context.Background(), tt.token))
			if got, _ := md.Get("Authorization"); got != tt.want {
				t.Errorf("go-micro authorization: got %q, want %q", got, tt.want)
			}
			plain, _ := grpcmetadata.FromOutgoingContext(withTokenPlain(context.Background(), tt.token))
			if got := strings.Join(plain.Get("authorization"), ","); got != tt.want {
				t.Errorf("gRPC authorization: got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestAuthDescription(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                      string
		consignment, vessel       bool
		wantVerified, wantChecked string
	}{
		{name: "both check", consignment: true, vessel: true,
			wantVerified: "the consignment service and the vessel service verified it on every call"},
		{name: "consignment only", consignment: true,
			wantVerified: "the consignment service verified it", wantChecked: "the vessel service answered a call without a token"},
		{name: "none",
			wantChecked: "the consignment service and the vessel service answered a call without a token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := authDescription(tt.consignment, tt.vessel)
			for _, want := range []string{"carries the token of a customer", tt.wantVerified, tt.wantChecked, "no-op baselines take no token"} {
				if !strings.Contains(got, want) {
					t.Errorf("got %q, want it to contain %q", got, want)
				}
			}
			if !tt.consignment && !tt.vessel && strings.Contains(got, "verified") {
				t.Errorf("got %q: no service verified", got)
			}
		})
	}
}

// TestTokenOutlastsRun checks that the bench's token lives longer than the
// longest run the flags allow.
func TestTokenOutlastsRun(t *testing.T) {
	t.Parallel()
	longest := config{warmup: maxDuration, duration: maxDuration, starts: maxStarts, cliRuns: maxCLIRuns, listing: maxListing}
	if got := longest.timeout(); got >= tokenTTL {
		t.Errorf("longest run: %s, want less than the token's %s", got, tokenTTL)
	}
	if tokenTTL < time.Minute || tokenTTL > 24*time.Hour {
		t.Errorf("tokenTTL %s: the user service takes 1m to 24h", tokenTTL)
	}
}
