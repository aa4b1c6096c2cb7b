package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestBadUsageExitsTwoWithOneLine(t *testing.T) {
	for _, args := range [][]string{
		nil, {"sweep"}, {"run", "--seed", "x"}, {"run", "--servers", "0"}, {"run", "--variant", "bogus"},
		{"run", "--duration", "-1s"}, {"run", "extra"},
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, exitUsage)
		}
		if lines := strings.Count(errb.String(), "\n"); lines != 1 {
			t.Errorf("%v: %d lines of error, want one: %q", args, lines, errb.String())
		}
	}
}

// A short run passes its checks, and the same seed prints the same report (trace hash included).
func TestShortRunIsCleanAndDeterministic(t *testing.T) {
	args := []string{"run", "--seed", "7", "--servers", "3", "--clients", "4", "--duration", "12s"}
	var a, b, errb bytes.Buffer
	if code := run(args, &a, &errb); code != exitOK {
		t.Fatalf("exit %d:\n%s%s", code, a.String(), errb.String())
	}
	run(args, &b, &errb)
	if a.String() != b.String() {
		t.Fatalf("same seed, different reports:\n%s\n---\n%s", a.String(), b.String())
	}
	for _, want := range []string{"zoosim run seed=7", "trace hash: 0x", "replay: go run ./cmd/zoosim run --seed 7"} {
		if !strings.Contains(a.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, a.String())
		}
	}
}
