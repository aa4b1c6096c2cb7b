package models

import (
	"strings"
	"testing"

	"zoosim/histories"
	"zoosim/tree"
)

func configStep(process int, session tree.SessionID, step string, token int64, value string) histories.RecipeEvent {
	return histories.RecipeEvent{Process: process, Session: session, Recipe: histories.RecipeConfig, Step: step,
		Name: "/cfg/config", Token: token, Value: value}
}

// configNode builds a configuration /cfg/config published at versions 0, 1 and 2 ("v0", "v1",
// "v2"); it returns the builder and the zxid of each version.
func configNode() (*membershipLog, [3]tree.Zxid) {
	b := newMembershipLog()
	b.create(1*ms, "/cfg", "", 0)
	var z [3]tree.Zxid
	z[0] = b.create(10*ms, "/cfg/config", "v0", 0)
	z[1] = b.setData(20*ms, "/cfg/config", "v1", 1)
	z[2] = b.setData(30*ms, "/cfg/config", "v2", 2)
	return b, z
}

func TestConfigPassesConvergedReaders(t *testing.T) {
	b, z := configNode()
	b.step(5*ms, configStep(1, 0x11, "read", -1, ""))
	b.step(11*ms, configStep(1, 0x11, "read", 0, "v0"))
	b.step(21*ms, configStep(2, 0x12, "published", 1, "v1"))
	b.step(31*ms, configStep(1, 0x11, "read", 2, "v2"))
	b.step(40*ms, configStep(1, 0x11, "synced", int64(z[2]), ""))
	b.step(40*ms, configStep(1, 0x11, "settled", 2, "v2"))
	b.step(41*ms, configStep(2, 0x12, "synced", int64(z[2]), ""))
	b.step(41*ms, configStep(2, 0x12, "settled", 2, "v2"))
	v := CheckConfig(b.finish(50*ms), ConfigOptions{})
	if v.Status != Pass || !strings.Contains(v.Summary, "3 reads and 1 publications of 1 configurations, 2 readers settled (2 at the last version)") {
		t.Fatalf("converged readers: %s", v.String())
	}
}

// TestConfigCatchesUncommittedRead plants a read of data the node never held at that version.
func TestConfigCatchesUncommittedRead(t *testing.T) {
	b, _ := configNode()
	b.step(21*ms, configStep(1, 0x11, "read", 1, "v2"))
	v := CheckConfig(b.finish(50*ms), ConfigOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "read version 1 with data \"v2\"") {
		t.Fatalf("a read of uncommitted data: %s", v.String())
	}
}

func TestConfigCatchesVersionsGoingBack(t *testing.T) {
	b, _ := configNode()
	b.step(31*ms, configStep(1, 0x11, "read", 2, "v2"))
	b.step(32*ms, configStep(1, 0x11, "read", 1, "v1"))
	v := CheckConfig(b.finish(50*ms), ConfigOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "its versions went back") {
		t.Fatalf("versions going back: %s", v.String())
	}
	// Another session may read older versions: reads are not linearizable (A10).
	b, _ = configNode()
	b.step(31*ms, configStep(1, 0x11, "read", 2, "v2"))
	b.step(32*ms, configStep(2, 0x12, "read", 1, "v1"))
	if v := CheckConfig(b.finish(50*ms), ConfigOptions{}); v.Status != Pass {
		t.Fatalf("two sessions at different versions: %s", v.String())
	}
}

// TestConfigCatchesUnconvergedReader plants the fault of a reader that stopped watching: it
// settles at a version older than the node's when its sync was answered. A publication
// committed after the sync is not owed; a settle without its sync is a recording fault.
func TestConfigCatchesUnconvergedReader(t *testing.T) {
	b, z := configNode()
	b.step(40*ms, configStep(1, 0x11, "synced", int64(z[2]), ""))
	b.step(40*ms, configStep(1, 0x11, "settled", 1, "v1"))
	v := CheckConfig(b.finish(50*ms), ConfigOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "the watcher did not converge") {
		t.Fatalf("a stale settled reader: %s", v.String())
	}
	b, z = configNode()
	b.step(25*ms, configStep(1, 0x11, "synced", int64(z[1]), ""))
	b.step(25*ms, configStep(1, 0x11, "settled", 1, "v1"))
	v = CheckConfig(b.finish(50*ms), ConfigOptions{})
	if v.Status != Pass || v.Metrics[3].Value != 0 {
		t.Fatalf("a reader settled before the last publication committed: %s %+v", v.String(), v.Metrics)
	}
	b, _ = configNode()
	b.step(40*ms, configStep(1, 0x11, "settled", 2, "v2"))
	if v := CheckConfig(b.finish(50*ms), ConfigOptions{}); v.Status != Fail || !strings.Contains(v.Summary, "without a sync") {
		t.Fatalf("a settle without its sync: %s", v.String())
	}
}
