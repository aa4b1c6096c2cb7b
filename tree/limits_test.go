package tree

import (
	"errors"
	"strings"
	"testing"
)

// zookeeper.md A12: the frame limit covers the whole request, so the
// largest data a create can carry is MaxBuffer minus the header, path, ACL
// and flags; one byte more and the server drops the connection.
func TestRequestSizeLimit(t *testing.T) {
	req := Request{Type: OpCreate, Path: "/big", ACL: OpenACLUnsafe, Mode: Persistent}
	overhead := req.WireSize()
	// header 8 + path 4+4 + data 4 + acl (4 + 4 + 4+5 + 4+6) + flags 4
	if overhead != 8+8+4+27+4 {
		t.Fatalf("an empty create is %d bytes", overhead)
	}
	req.Data = make([]byte, MaxBuffer-overhead)
	if err := CheckRequestSize(&req); err != nil {
		t.Errorf("a create of exactly MaxBuffer bytes: %v", err)
	}
	req.Data = append(req.Data, 0)
	if err := CheckRequestSize(&req); !errors.Is(err, ErrRequestTooLarge) {
		t.Errorf("one byte over: %v", err)
	}
	// A multi is limited as a whole.
	op := setData("/x", strings.Repeat("d", MaxBuffer/3), -1)
	multi := Request{Type: OpMulti, Ops: []Request{op, op, op}}
	if err := CheckRequestSize(&multi); !errors.Is(err, ErrRequestTooLarge) {
		t.Errorf("a multi of three thirds: %v", err)
	}
	if err := CheckRequestSize(&Request{Type: OpMulti, Ops: []Request{op, op}}); err != nil {
		t.Errorf("a multi of two thirds: %v", err)
	}
}

func TestReplySize(t *testing.T) {
	r := Result{Type: OpGetData, Data: []byte("abc")}
	if got := r.WireSize(); got != 16+4+3+68 {
		t.Errorf("getData reply %d", got)
	}
	r = Result{Type: OpGetChildren, Children: []string{"a", "bc"}}
	if got := r.WireSize(); got != 16+4+5+6 {
		t.Errorf("getChildren reply %d", got)
	}
	if got := (&Result{Type: OpGetData, Err: NoNode}).WireSize(); got != 16 {
		t.Errorf("error reply %d", got)
	}
}
