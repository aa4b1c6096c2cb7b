package reports

import (
	"strings"
	"testing"
)

// Time axes are marked at round steps, labelled with the step's decimals.
func TestTimeTicks(t *testing.T) {
	var labels []string
	for _, tk := range (timeTicks{}).Ticks(0.25, 1.5) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got := strings.Join(labels, " "); got != "0.4 0.6 0.8 1.0 1.2 1.4" {
		t.Errorf("tick labels from 0.25 to 1.5: %s", got)
	}
	labels = nil
	for _, tk := range (timeTicks{}).Ticks(0, 62.4) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got := strings.Join(labels, " "); got != "0 10 20 30 40 50 60" {
		t.Errorf("tick labels from 0 to 62.4: %s", got)
	}
}
