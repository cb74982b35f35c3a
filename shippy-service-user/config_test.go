package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shippy-suite/shippy/platform/auth"
	"github.com/shippy-suite/shippy/platform/events"
)

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		wantErr   string // in the error; "" for none
		keyFile   string
		createKey bool
		ttl       time.Duration
		eventsURL string
	}{
		{"defaults", map[string]string{"DATA_DIR": "/d"}, "", filepath.Join("/d", auth.DefaultKeyFile), true, DefaultTokenTTL, ""},
		{"key file given", map[string]string{auth.EnvPrivateKeyFile: "/k.pem"}, "", "/k.pem", false, DefaultTokenTTL, ""},
		{"ttl", map[string]string{EnvTokenTTL: "5m"}, "", filepath.Join("data", auth.DefaultKeyFile), true, 5 * time.Minute, ""},
		{"broker", map[string]string{events.EnvURL: " nats://127.0.0.1:4222 "}, "", filepath.Join("data", auth.DefaultKeyFile), true, DefaultTokenTTL, "nats://127.0.0.1:4222"},
		{"ttl not a duration", map[string]string{EnvTokenTTL: "soon"}, EnvTokenTTL + ": ", "", false, 0, ""},
		{"ttl too short", map[string]string{EnvTokenTTL: "5s"}, EnvTokenTTL + ": ", "", false, 0, ""},
		{"ttl too long", map[string]string{EnvTokenTTL: "48h"}, EnvTokenTTL + ": ", "", false, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := loadConfig(func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("loadConfig = %v, want an error starting %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || cfg.Key.Path != tt.keyFile || cfg.Key.Create != tt.createKey || cfg.TokenTTL != tt.ttl || cfg.EventsURL != tt.eventsURL {
				t.Errorf("loadConfig = {%q %v %v %q}, %v; want {%q %v %v %q}", cfg.Key.Path, cfg.Key.Create, cfg.TokenTTL, cfg.EventsURL, err, tt.keyFile, tt.createKey, tt.ttl, tt.eventsURL)
			}
		})
	}
}
