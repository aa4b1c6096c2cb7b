package cluster

import (
	"errors"
	"strings"
	"testing"
	"time"

	"zoosim/sim"
	"zoosim/zab"
	"zoosim/zab/storage"
	"zoosim/zab/wire"
)

func TestOptionsValidate(t *testing.T) {
	bad := sim.DefaultOptions(0)
	bad.Network.Latency = sim.UniformIn(time.Second, time.Millisecond)
	tests := []struct {
		name  string
		opts  Options
		field string
	}{
		{"no servers", Options{}, "Servers"},
		{"too many", Options{Servers: MaxServers + 1}, "Servers"},
		{"id set", Options{Servers: 3, Server: zab.Config{ID: 2}}, "Server.ID"},
		{"voters set", Options{Servers: 3, Server: zab.Config{Voters: []wire.ServerID{1}}}, "Server.Voters"},
		{"rand set", Options{Servers: 3, Server: zab.Config{Rand: func(int64) int64 { return 0 }}}, "Server.Rand"},
		{"variants in template", Options{Servers: 3, Server: zab.Config{Variants: []zab.Variant{zab.AckBeforeFsync}}}, "Server.Variants"},
		{"unknown variant", Options{Servers: 3, Variants: []zab.Variant{"no-such"}}, "Variants"},
		{"zab field", Options{Servers: 3, Server: zab.Config{TickTime: -time.Second}}, "TickTime"},
		{"seed clash", Options{Seed: 1, Servers: 3, Sim: &sim.Options{Seed: 2}}, "Sim.Seed"},
		{"sim field", Options{Servers: 3, Sim: &bad}, "Sim: sim: bad options: network.latency"},
		{"log size", Options{Servers: 3, Storage: storage.Options{LogFileBytes: -1}}, "Storage.LogFileBytes"},
		{"session timeout", Options{Servers: 3, SessionTimeout: -time.Second}, "SessionTimeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if !errors.Is(err, ErrBadOptions) {
				t.Fatalf("Validate = %v, want ErrBadOptions", err)
			}
			if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tt.field)) {
				t.Errorf("error %q does not name %s", err, tt.field)
			}
			if _, err := New(tt.opts); !errors.Is(err, ErrBadOptions) {
				t.Errorf("New = %v, want ErrBadOptions", err)
			}
		})
	}
	if err := (Options{Servers: 3, Variants: zab.Variants()}).Validate(); err != nil {
		t.Errorf("every variant at once: %v", err)
	}
}
