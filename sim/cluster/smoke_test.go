package cluster

import (
	"testing"
	"time"
)

func TestSmoke(t *testing.T) {
	e, err := New(Options{Seed: 1, Servers: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer e.World().Close()
	if err := e.RunUntilStable(time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Logf("stable at %v after %d events\n%s", e.World().Now(), e.World().Events(), e.Status())
}
