package election

import (
	"errors"
	"testing"
	"time"

	"zoosim/zab/wire"
)

func TestNewRejectsBadConfig(t *testing.T) {
	ids := []wire.ServerID{1, 2, 3}
	for _, c := range []struct {
		name string
		cfg  Config
		want error
	}{
		{"self not a voter", Config{Self: 4, Voters: ids}, ErrSelfNotVoter},
		{"no voters", Config{Self: 1}, ErrSelfNotVoter},
		{"duplicate voter", Config{Self: 1, Voters: []wire.ServerID{1, 2, 2}}, ErrDuplicateVoter},
		{"negative finalize wait", Config{Self: 1, Voters: ids, FinalizeWait: -1}, ErrBadTiming},
		{"negative interval", Config{Self: 1, Voters: ids, MinNotificationInterval: -1}, ErrBadTiming},
		{"max below min", Config{Self: 1, Voters: ids, MinNotificationInterval: time.Second,
			MaxNotificationInterval: time.Millisecond}, ErrBadTiming},
	} {
		if _, err := New(c.cfg); !errors.Is(err, c.want) {
			t.Errorf("%s: New = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestNewDefaultsAndSortsVoters(t *testing.T) {
	e, err := New(Config{Self: 2, Voters: []wire.ServerID{3, 1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	c := e.cfg
	if c.FinalizeWait != 200*time.Millisecond || c.MinNotificationInterval != 200*time.Millisecond ||
		c.MaxNotificationInterval != 60*time.Second {
		t.Errorf("defaults: %v %v %v", c.FinalizeWait, c.MinNotificationInterval, c.MaxNotificationInterval)
	}
	if c.Voters[0] != 1 || c.Voters[1] != 2 || c.Voters[2] != 3 || e.quorum != 2 {
		t.Errorf("voters %v quorum %d", c.Voters, e.quorum)
	}
	if e.State() != wire.Looking || e.Round() != 0 {
		t.Errorf("fresh election: %s", e)
	}
	if _, ok := e.Deadline(); ok {
		t.Error("a fresh election has a deadline before Look")
	}
}
