package consignment_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/shippy-suite/shippy/domain/consignment"
	"github.com/shippy-suite/shippy/domain/consignment/consignmenttest"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	const invalidUTF8 = "ab\xffcd"
	tooLongID := strings.Repeat("x", consignment.MaxIDBytes+1)
	tests := []struct {
		name   string
		change func(c *consignment.Consignment)
		// wantField is the field the FieldError names; empty means valid.
		wantField  string
		wantReason string
	}{
		{name: "valid", change: func(*consignment.Consignment) {}},
		{name: "empty id is allowed (the service assigns one)", change: func(c *consignment.Consignment) { c.ID = "" }},
		{name: "id at the limit", change: func(c *consignment.Consignment) { c.ID = strings.Repeat("x", consignment.MaxIDBytes) }},
		{name: "id too long", change: func(c *consignment.Consignment) { c.ID = tooLongID }, wantField: "id", wantReason: "longer than 128 bytes"},
		{name: "id counts bytes, not runes", change: func(c *consignment.Consignment) { c.ID = strings.Repeat("é", consignment.MaxIDBytes/2+1) }, wantField: "id", wantReason: "longer than 128 bytes"},
		{name: "id not UTF-8", change: func(c *consignment.Consignment) { c.ID = invalidUTF8 }, wantField: "id", wantReason: "not valid UTF-8"},
		{name: "empty description is allowed", change: func(c *consignment.Consignment) { c.Description = "" }},
		{name: "description at the limit", change: func(c *consignment.Consignment) { c.Description = strings.Repeat("d", consignment.MaxDescriptionBytes) }},
		{name: "description too long", change: func(c *consignment.Consignment) {
			c.Description = strings.Repeat("d", consignment.MaxDescriptionBytes+1)
		}, wantField: "description", wantReason: "longer than 4096 bytes"},
		{name: "description not UTF-8", change: func(c *consignment.Consignment) { c.Description = invalidUTF8 }, wantField: "description", wantReason: "not valid UTF-8"},
		{name: "weight zero", change: func(c *consignment.Consignment) { c.Weight = 0 }, wantField: "weight", wantReason: "must be positive, got 0"},
		{name: "weight negative", change: func(c *consignment.Consignment) { c.Weight = -5 }, wantField: "weight", wantReason: "must be positive, got -5"},
		{name: "weight one", change: func(c *consignment.Consignment) { c.Weight = 1 }},
		{name: "containers nil", change: func(c *consignment.Consignment) { c.Containers = nil }, wantField: "containers", wantReason: "at least one container is required"},
		{name: "containers empty", change: func(c *consignment.Consignment) { c.Containers = []consignment.Container{} }, wantField: "containers", wantReason: "at least one container is required"},
		{name: "container id empty is allowed", change: func(c *consignment.Consignment) { c.Containers[0].ID = "" }},
		{name: "container id too long", change: func(c *consignment.Consignment) { c.Containers[0].ID = tooLongID }, wantField: "containers[0].id", wantReason: "longer than 128 bytes"},
		{name: "container id not UTF-8", change: func(c *consignment.Consignment) { c.Containers[0].ID = invalidUTF8 }, wantField: "containers[0].id", wantReason: "not valid UTF-8"},
		{name: "customer_id required", change: func(c *consignment.Consignment) { c.Containers[0].CustomerID = "" }, wantField: "containers[0].customer_id", wantReason: "required"},
		{name: "customer_id too long", change: func(c *consignment.Consignment) { c.Containers[0].CustomerID = tooLongID }, wantField: "containers[0].customer_id", wantReason: "longer than 128 bytes"},
		{name: "customer_id not UTF-8", change: func(c *consignment.Consignment) { c.Containers[0].CustomerID = invalidUTF8 }, wantField: "containers[0].customer_id", wantReason: "not valid UTF-8"},
		{name: "origin required", change: func(c *consignment.Consignment) { c.Containers[0].Origin = "" }, wantField: "containers[0].origin", wantReason: "required"},
		{name: "origin too long", change: func(c *consignment.Consignment) { c.Containers[0].Origin = tooLongID }, wantField: "containers[0].origin", wantReason: "longer than 128 bytes"},
		{name: "origin not UTF-8", change: func(c *consignment.Consignment) { c.Containers[0].Origin = invalidUTF8 }, wantField: "containers[0].origin", wantReason: "not valid UTF-8"},
		{name: "user_id empty is allowed", change: func(c *consignment.Consignment) { c.Containers[0].UserID = "" }},
		{name: "user_id too long", change: func(c *consignment.Consignment) { c.Containers[0].UserID = tooLongID }, wantField: "containers[0].user_id", wantReason: "longer than 128 bytes"},
		{name: "user_id not UTF-8", change: func(c *consignment.Consignment) { c.Containers[0].UserID = invalidUTF8 }, wantField: "containers[0].user_id", wantReason: "not valid UTF-8"},
		{name: "field name carries the container index", change: func(c *consignment.Consignment) { c.Containers[1].Origin = "" }, wantField: "containers[1].origin", wantReason: "required"},
		{name: "vessel id is not checked", change: func(c *consignment.Consignment) { c.VesselID = invalidUTF8 + tooLongID }},
		{name: "first broken rule wins: id before weight", change: func(c *consignment.Consignment) { c.ID = tooLongID; c.Weight = 0 }, wantField: "id", wantReason: "longer than 128 bytes"},
		{name: "first broken rule wins: weight before containers", change: func(c *consignment.Consignment) { c.Weight = 0; c.Containers = nil }, wantField: "weight", wantReason: "must be positive, got 0"},
		{name: "first broken rule wins: length before UTF-8", change: func(c *consignment.Consignment) { c.ID = invalidUTF8 + tooLongID }, wantField: "id", wantReason: "longer than 128 bytes"},
		{name: "first broken rule wins: earlier container first", change: func(c *consignment.Consignment) { c.Containers[0].UserID = tooLongID; c.Containers[1].CustomerID = "" }, wantField: "containers[0].user_id", wantReason: "longer than 128 bytes"},
		{name: "first broken rule wins: customer_id before origin", change: func(c *consignment.Consignment) { c.Containers[0].Origin = ""; c.Containers[0].CustomerID = "" }, wantField: "containers[0].customer_id", wantReason: "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := consignmenttest.Valid()
			tt.change(&c)
			err := c.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var fe *consignment.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("Validate() = %v (%T), want a *FieldError", err, err)
			}
			if fe.Field != tt.wantField || fe.Reason != tt.wantReason {
				t.Errorf("Validate() = {Field: %q, Reason: %q}, want {Field: %q, Reason: %q}", fe.Field, fe.Reason, tt.wantField, tt.wantReason)
			}
			if !errors.Is(err, consignment.ErrInvalid) {
				t.Errorf("errors.Is(%v, ErrInvalid) = false, want true", err)
			}
		})
	}
}

func TestFieldError(t *testing.T) {
	t.Parallel()
	err := error(&consignment.FieldError{Field: "containers[0].origin", Reason: "required"})
	if got, want := err.Error(), "containers[0].origin: required"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	if !errors.Is(err, consignment.ErrInvalid) {
		t.Error("errors.Is(FieldError, ErrInvalid) = false, want true")
	}
	for _, other := range []error{consignment.ErrNoRoom, consignment.ErrConflict, consignment.ErrNotFound, consignment.ErrUnavailable} {
		if errors.Is(err, other) {
			t.Errorf("errors.Is(FieldError, %v) = true, want false", other)
		}
	}
}

func TestSameRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(c *consignment.Consignment)
		want   bool
	}{
		{name: "identical", change: func(*consignment.Consignment) {}, want: true},
		{name: "vessel differs", change: func(c *consignment.Consignment) { c.VesselID = "boaty" }, want: true},
		{name: "id differs", change: func(c *consignment.Consignment) { c.ID = "c-2" }},
		{name: "owner differs", change: func(c *consignment.Consignment) { c.Owner = "user-2" }},
		{name: "description differs", change: func(c *consignment.Consignment) { c.Description = "other" }},
		{name: "weight differs", change: func(c *consignment.Consignment) { c.Weight++ }},
		{name: "one container fewer", change: func(c *consignment.Consignment) { c.Containers = c.Containers[:1] }},
		{name: "no containers", change: func(c *consignment.Consignment) { c.Containers = nil }},
		{name: "container field differs", change: func(c *consignment.Consignment) { c.Containers[1].UserID = "user002" }},
		{name: "containers reordered", change: func(c *consignment.Consignment) {
			c.Containers[0], c.Containers[1] = c.Containers[1], c.Containers[0]
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b := consignmenttest.Valid(), consignmenttest.Valid()
			tt.change(&b)
			if got := a.SameRequest(b); got != tt.want {
				t.Errorf("a.SameRequest(b) = %v, want %v", got, tt.want)
			}
			if got := b.SameRequest(a); got != tt.want {
				t.Errorf("b.SameRequest(a) = %v, want %v (not symmetric)", got, tt.want)
			}
		})
	}
}

// FuzzValidate checks that Validate never panics, that every error it returns
// is a *FieldError matching ErrInvalid, and that what it accepts really keeps
// the rules.
func FuzzValidate(f *testing.F) {
	f.Add("c-1", "a consignment", int32(100), uint8(1), "box", "cust", "Derby", "user")
	f.Add("", "", int32(0), uint8(0), "", "", "", "")
	f.Add("\xff", "\xfe", int32(-1), uint8(3), "\x80", "c", "o", "\xc3")
	f.Add(strings.Repeat("x", 200), "d", int32(1), uint8(2), "", "c", "", "")
	f.Fuzz(func(t *testing.T, id, description string, weight int32, containers uint8, containerID, customerID, origin, userID string) {
		c := consignment.Consignment{ID: id, Description: description, Weight: weight}
		for i := range int(containers % 8) {
			ct := consignment.Container{ID: containerID, CustomerID: customerID, Origin: origin, UserID: userID}
			if i%2 == 1 { // vary the containers so later ones can fail alone
				ct.Origin, ct.UserID = ct.UserID, ct.Origin
			}
			c.Containers = append(c.Containers, ct)
		}

		err := c.Validate()
		if err == nil {
			if c.Weight <= 0 || len(c.Containers) == 0 || len(c.ID) > consignment.MaxIDBytes ||
				len(c.Description) > consignment.MaxDescriptionBytes || !utf8.ValidString(c.ID+c.Description) {
				t.Fatalf("Validate() accepted %+v", c)
			}
			for i, ct := range c.Containers {
				if ct.CustomerID == "" || ct.Origin == "" || !utf8.ValidString(ct.ID+ct.CustomerID+ct.Origin+ct.UserID) {
					t.Fatalf("Validate() accepted container %d: %+v", i, ct)
				}
			}
			return
		}
		var fe *consignment.FieldError
		if !errors.As(err, &fe) {
			t.Fatalf("Validate() = %v (%T), want a *FieldError", err, err)
		}
		if fe.Field == "" || fe.Reason == "" {
			t.Errorf("FieldError %+v has an empty field or reason", fe)
		}
		if !errors.Is(err, consignment.ErrInvalid) {
			t.Errorf("errors.Is(%v, ErrInvalid) = false, want true", err)
		}
	})
}
