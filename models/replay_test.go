package models

import (
	"reflect"
	"testing"

	"zoosim/histories"
	"zoosim/tree"
)

// CheckZxidOrderAndSessions shares one replay between the two checkers; its verdicts must be
// exactly theirs, on histories that pass, that fail either checker, and that neither can judge.
func TestCheckZxidOrderAndSessionsGivesBothVerdicts(t *testing.T) {
	cases := map[string]func() *histories.History{
		"correct": func() *histories.History { return ordGenHistory(t, ordSmallConfig(3)) },
		"stale read": func() *histories.History {
			h := ordGenHistory(t, ordSmallConfig(4))
			ordFind(t, h, ordIsGetDataOK).Result.Data = []byte("never written")
			return h
		},
		"ephemeral outlives its owner": func() *histories.History {
			b := sesEphemeral(t)
			b.do(0, tree.Request{Type: tree.OpCloseSession})
			s := b.clients[0].session
			b.commitTxn(&tree.Txn{Header: tree.Header{Session: s, Cxid: 7}, Type: tree.OpCreate, Path: "/late",
				ACL: tree.OpenACLUnsafe, EphemeralOwner: int64(s), ParentCversion: 100})
			return b.history()
		},
		"answered after its session's close": func() *histories.History {
			b := sesEphemeral(t)
			b.do(0, tree.Request{Type: tree.OpCloseSession})
			b.do(0, tree.Request{Type: tree.OpExists, Path: "/"})
			return b.history()
		},
		"stale reply after close": func() *histories.History {
			b := sesEphemeral(t)
			b.do(0, tree.Request{Type: tree.OpCloseSession})
			b.clients[0].server = 2
			b.do(0, tree.Request{Type: tree.OpExists, Path: "/e"})
			return b.history()
		},
		"log out of order": func() *histories.History {
			h := ordGenHistory(t, ordSmallConfig(5))
			h.Log[1], h.Log[2] = h.Log[2], h.Log[1]
			return h
		},
		"ops out of invoke order": func() *histories.History {
			h := ordGenHistory(t, ordSmallConfig(6))
			h.Ops[10].InvokeSeq, h.Ops[11].InvokeSeq = h.Ops[11].InvokeSeq, h.Ops[10].InvokeSeq
			return h
		},
	}
	statuses := map[Status]bool{}
	for name, build := range cases {
		ordOpts, sesOpts := ZxidOrderOptions{}, sesOpts()
		ord, ses := CheckZxidOrderAndSessions(build(), ordOpts, sesOpts)
		wantOrd, wantSes := CheckZxidOrder(build(), ordOpts), CheckSessions(build(), sesOpts)
		if !reflect.DeepEqual(ord, wantOrd) {
			t.Errorf("%s: zxid-order verdict\n got %s\nwant %s", name, ord.String(), wantOrd.String())
		}
		if !reflect.DeepEqual(ses, wantSes) {
			t.Errorf("%s: sessions verdict\n got %s\nwant %s", name, ses.String(), wantSes.String())
		}
		statuses[ord.Status], statuses[ses.Status] = true, true
	}
	if len(statuses) != 3 {
		t.Errorf("the cases gave the statuses %v; want a pass, a failure and an inconclusive verdict", statuses)
	}
}
