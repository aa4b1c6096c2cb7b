package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"zoosim/sim/cluster"
	"zoosim/testbed"
	"zoosim/zab"
)

// zoosim variants lists every variant, in zab.Variants order, with the rule it breaks and the
// checker that catches it; --json the same with each catching scenario, variant on.
func TestVariantsCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"variants"}, &out, &errb); code != exitOK {
		t.Fatalf("exit %d:\n%s%s", code, out.String(), errb.String())
	}
	lines := strings.Split(out.String(), "\n")
	vs := zab.Variants()
	if len(vs) != 6 {
		t.Errorf("%d variants, want the six of issue 5", len(vs))
	}
	catches := testbed.VariantCatches()
	for i, v := range vs {
		c := catches[slices.IndexFunc(catches, func(c testbed.VariantCatch) bool { return c.Variant == v })]
		row := strings.Fields(lines[1+i])
		if len(row) < 3 || row[0] != string(v) || row[1] != c.Checker || !strings.Contains(lines[1+i], v.Rule()) {
			t.Errorf("row %d: %q, want %s, %s, %q", i+1, lines[1+i], v, c.Checker, v.Rule())
		}
		if !strings.Contains(out.String(), string(v)+": "+c.Why+"\n") {
			t.Errorf("no line saying how %s is caught", v)
		}
	}

	out.Reset()
	if code := run([]string{"variants", "--json"}, &out, &errb); code != exitOK {
		t.Fatalf("--json: exit %d:\n%s%s", code, out.String(), errb.String())
	}
	var got []struct {
		Variant, Rule, Checker string
		CheckerRule            string          `json:"checker_rule"`
		Scenario               json.RawMessage `json:"scenario"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("--json: %v\n%s", err, out.String())
	}
	if len(got) != len(vs) {
		t.Fatalf("--json lists %d variants, want %d", len(got), len(vs))
	}
	for i, g := range got {
		if g.Variant != string(vs[i]) || g.Rule != vs[i].Rule() || g.CheckerRule == "" {
			t.Errorf("--json entry %d: %s %q %s %q", i, g.Variant, g.Rule, g.Checker, g.CheckerRule)
		}
		// The scenario is a scenario file that runs the variant.
		sc, err := cluster.ParseScenario(g.Scenario)
		if err != nil || !slices.Equal(sc.Variants, []zab.Variant{vs[i]}) {
			t.Errorf("--json entry %d: the scenario does not run %s: %v %v", i, vs[i], err, sc.Variants)
		}
	}

	for _, args := range [][]string{{"variants", "extra"}, {"variants", "--bogus"}} {
		var o, e bytes.Buffer
		if code := run(args, &o, &e); code != exitUsage || strings.Count(e.String(), "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want %d and one line", args, code, e.String(), exitUsage)
		}
	}
}
