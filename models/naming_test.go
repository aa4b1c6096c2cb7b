package models

import (
	"strings"
	"testing"

	"zoosim/histories"
	"zoosim/tree"
)

func namingStep(process int, session tree.SessionID, step string, token tree.Zxid, node, value string) histories.RecipeEvent {
	return histories.RecipeEvent{Process: process, Session: session, Recipe: histories.RecipeNaming, Step: step,
		Name: "/svc", Node: node, Token: int64(token), Value: value}
}

// namingService builds a service /svc where instances a (session 0x11) and b (session 0x12)
// register; it returns the builder and the zxids of the two registrations.
func namingService() (b *membershipLog, regA, regB tree.Zxid) {
	b = newMembershipLog()
	b.create(1*ms, "/svc", "", 0)
	regA = b.create(10*ms, "/svc/a", "h1:7000", 0x11)
	b.step(11*ms, namingStep(1, 0x11, "registered", 0, "/svc/a", "h1:7000"))
	regB = b.create(20*ms, "/svc/b", "h2:7000", 0x12)
	b.step(21*ms, namingStep(2, 0x12, "registered", 0, "/svc/b", "h2:7000"))
	return b, regA, regB
}

func TestNamingPassesRegisteredConvergedAnswers(t *testing.T) {
	b, regA, regB := namingService()
	b.step(12*ms, namingStep(3, 0x13, "resolved", regA, "", "a=h1:7000"))
	b.step(22*ms, namingStep(3, 0x13, "resolved", regB, "", "a=h1:7000,b=h2:7000"))
	b.step(30*ms, namingStep(3, 0x13, "synced", regB+2, "", ""))
	b.step(30*ms, namingStep(3, 0x13, "settled", regB, "", "a=h1:7000,b=h2:7000"))
	v := CheckNaming(b.finish(40*ms), NamingOptions{})
	if v.Status != Pass || !strings.Contains(v.Summary, "2 registrations, 3 answers of 1 services, 1 settled (1 at the final endpoints)") {
		t.Fatalf("a correct service: %s", v.String())
	}
}

// TestNamingCatchesUnregisteredEndpoint plants answers with an endpoint no node held and with a
// name not listed at the answer's zxid, and a registration the log does not have.
func TestNamingCatchesUnregisteredEndpoint(t *testing.T) {
	b, regA, _ := namingService()
	b.step(12*ms, namingStep(3, 0x13, "resolved", regA, "", "a=h9:7000"))
	v := CheckNaming(b.finish(40*ms), NamingOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "resolved a=h9:7000") {
		t.Fatalf("a wrong endpoint: %s", v.String())
	}
	b, regA, _ = namingService()
	b.step(22*ms, namingStep(3, 0x13, "resolved", regA, "", "a=h1:7000,b=h2:7000"))
	v = CheckNaming(b.finish(40*ms), NamingOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "resolved b=h2:7000") {
		t.Fatalf("a name not yet registered at the answer's zxid: %s", v.String())
	}
	b, _, _ = namingService()
	b.step(23*ms, namingStep(1, 0x11, "registered", 0, "/svc/c", "h1:7001"))
	v = CheckNaming(b.finish(40*ms), NamingOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "no such node of that session") {
		t.Fatalf("a registration the log lacks: %s", v.String())
	}
}

// TestNamingNodeReplacedAfterListing: the listing saw a, which was then replaced by a node of
// the same name with another endpoint before the read; the answer with the new endpoint passes.
func TestNamingNodeReplacedAfterListing(t *testing.T) {
	b, _, regB := namingService()
	b.close(30*ms, 0x11, "/svc/a")
	b.create(31*ms, "/svc/a", "h3:7000", 0x13)
	b.step(32*ms, namingStep(4, 0x14, "resolved", regB, "", "a=h3:7000,b=h2:7000"))
	if v := CheckNaming(b.finish(40*ms), NamingOptions{}); v.Status != Pass {
		t.Fatalf("a node replaced between the listing and its read: %s", v.String())
	}
}

func TestNamingCatchesAnswersGoingBack(t *testing.T) {
	b, regA, regB := namingService()
	b.step(22*ms, namingStep(3, 0x13, "resolved", regB, "", "a=h1:7000,b=h2:7000"))
	b.step(23*ms, namingStep(3, 0x13, "resolved", regA, "", "a=h1:7000"))
	v := CheckNaming(b.finish(40*ms), NamingOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "its answers went back") {
		t.Fatalf("answers going back: %s", v.String())
	}
}

// TestNamingCatchesStaleSettle plants the fault of a resolver that caches forever: it settles
// at an answer older than a registration committed before its sync was answered, or at an
// answer missing an endpoint of its zxid. A deregistration committed after the sync is not owed.
func TestNamingCatchesStaleSettle(t *testing.T) {
	b, regA, regB := namingService()
	b.step(30*ms, namingStep(3, 0x13, "synced", regB, "", ""))
	b.step(30*ms, namingStep(3, 0x13, "settled", regA, "", "a=h1:7000"))
	v := CheckNaming(b.finish(40*ms), NamingOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "the answer did not converge") {
		t.Fatalf("a stale settled answer: %s", v.String())
	}
	b, _, regB = namingService()
	b.step(30*ms, namingStep(3, 0x13, "synced", regB, "", ""))
	b.step(30*ms, namingStep(3, 0x13, "settled", regB, "", "b=h2:7000"))
	v = CheckNaming(b.finish(40*ms), NamingOptions{})
	if v.Status != Fail || !strings.Contains(v.Summary, "but the service then was {a=h1:7000,b=h2:7000}") {
		t.Fatalf("a settled answer missing an endpoint: %s", v.String())
	}
	b, _, regB = namingService()
	b.step(30*ms, namingStep(3, 0x13, "synced", regB, "", ""))
	b.delete(31*ms, "/svc/a", 0x11)
	b.step(32*ms, namingStep(3, 0x13, "settled", regB, "", "a=h1:7000,b=h2:7000"))
	v = CheckNaming(b.finish(40*ms), NamingOptions{})
	if v.Status != Pass || v.Metrics[3].Value != 0 {
		t.Fatalf("a settled answer older than a deregistration after its sync: %s %+v", v.String(), v.Metrics)
	}
}
