package failpoint

import (
	"strings"
	"testing"
)

func TestFromEnv(t *testing.T) {
	tests := []struct {
		value   string
		want    *Point // step and at only
		wantErr string
	}{
		{value: "", want: nil},
		{value: AfterStore, want: &Point{step: AfterStore, at: 1}},
		{value: AfterHold + "@25", want: &Point{step: AfterHold, at: 25}},
		{value: "consignment.nowhere", wantErr: `unknown step "consignment.nowhere"`},
		{value: AfterHold + "@0", wantErr: "whole number from 1"},
		{value: AfterHold + "@x", wantErr: "whole number from 1"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			p, err := FromEnv(func(key string) string {
				if key == EnvFailpoint {
					return tt.value
				}
				return ""
			})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("FromEnv(%q) error = %v, want one containing %q", tt.value, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("FromEnv(%q): %v", tt.value, err)
			}
			switch {
			case tt.want == nil && p != nil:
				t.Fatalf("FromEnv(%q) = %+v, want nil", tt.value, p)
			case tt.want != nil && (p == nil || p.step != tt.want.step || p.at != tt.want.at):
				t.Fatalf("FromEnv(%q) = %+v, want step %q at %d", tt.value, p, tt.want.step, tt.want.at)
			}
		})
	}
}

func TestHitKillsOnItsPass(t *testing.T) {
	killed := 0
	p := &Point{step: BeforeStore, at: 3, kill: func() { killed++ }}
	for range 2 {
		p.Hit(BeforeStore)
		p.Hit(AfterStore) // another step never counts
	}
	if killed != 0 {
		t.Fatalf("killed on pass 2 of %s, want pass 3", BeforeStore)
	}
	p.Hit(BeforeStore)
	if killed != 1 {
		t.Fatalf("pass 3 of %s killed %d times, want once", BeforeStore, killed)
	}
	var none *Point
	none.Hit(BeforeStore) // a nil Point never kills, and does not panic
}
