package auth_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/platform/auth"
)

const consignmentService = "shippy.service.consignment"

func TestIssuers(t *testing.T) {
	userKey, serviceKey := mustKey(t), mustKey(t)
	users := mustSigner(t, userKey, issuer, t0)
	services := mustSigner(t, serviceKey, consignmentService, t0)
	fromUsers := mustVerifier(t, t0, userKey.Public()) // issuer, audience
	set, err := auth.NewKeySet(serviceKey.Public())
	if err != nil {
		t.Fatal(err)
	}
	fromServices, err := auth.NewVerifier(set, consignmentService, audience, clock(t0))
	if err != nil {
		t.Fatal(err)
	}
	is := auth.Issuers{issuer: fromUsers, consignmentService: fromServices}

	tests := []struct {
		name    string
		token   string
		subject string // "" when refused
		why     string
	}{
		{"a customer's token", mustSign(t, users, "u1", auth.RoleCustomer, audience), "u1", ""},
		{"a service's token", mustSign(t, services, consignmentService, auth.RoleService, audience), consignmentService, ""},
		{"an unknown issuer", mustSign(t, mustSigner(t, serviceKey, "shippy.service.other", t0), "x", auth.RoleService, audience), "", "wrong issuer"},
		{"an issuer's name with another's key", mustSign(t, mustSigner(t, serviceKey, issuer, t0), "u1", auth.RoleOperator, audience), "", "unknown signing key"},
		{"garbage", "a.b", "", "malformed token"},
		{"empty", "", "", "missing token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := is.Verify(t.Context(), tt.token)
			if tt.subject != "" {
				if err != nil || c.Subject != tt.subject {
					t.Fatalf("Verify = %+v, %v; want subject %q", c, err, tt.subject)
				}
				return
			}
			if !errors.Is(err, auth.ErrUnauthenticated) || !strings.Contains(err.Error(), tt.why) {
				t.Fatalf("Verify = %v; want unauthenticated: %s", err, tt.why)
			}
		})
	}
}

func TestServiceTokens(t *testing.T) {
	key := mustKey(t)
	clock := &movingClock{now: t0}
	signer, err := auth.NewSigner(key, consignmentService, 10*time.Minute, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewServiceTokens(signer, consignmentService, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	set, err := auth.NewKeySet(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(set, consignmentService, "shippy.service.vessel", clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	first, err := tokens.Token("shippy.service.vessel")
	if err != nil {
		t.Fatal(err)
	}
	c, err := v.Verify(t.Context(), first)
	if err != nil || c.Subject != consignmentService || c.Role != auth.RoleService {
		t.Fatalf("Verify(service token) = %+v, %v; want the service's claims", c, err)
	}
	clock.Add(4 * time.Minute)
	if again, _ := tokens.Token("shippy.service.vessel"); again != first {
		t.Error("a token before half its life was signed anew; want the same one")
	}
	if other, _ := tokens.Token("shippy.service.user"); other == first {
		t.Error("another audience got the same token")
	}
	clock.Add(time.Minute + time.Second) // past half of 10 minutes
	renewed, err := tokens.Token("shippy.service.vessel")
	if err != nil || renewed == first {
		t.Fatalf("Token after half its life = %v; want a new token", err)
	}
	if _, err := v.Verify(t.Context(), renewed); err != nil {
		t.Fatalf("Verify(renewed) = %v", err)
	}
}
