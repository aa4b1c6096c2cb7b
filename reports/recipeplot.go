package reports

import (
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"zoosim/histories"
	"zoosim/models"
)

// plotRecipes is the recipe timeline's base name; a run folder has it only when the run ran
// recipe workloads.
const plotRecipes = "recipes"

// recipeSpans lists, per recipe, the steps that open a stretch of time (a lock's hold, a
// leader's term, a membership) and the steps that close it. The timeline draws each stretch as
// a bar on its process's row, from the opening step to the process's next closing step (or next
// opening step) of the same recipe instance, to the commit of its session's end, or to the end
// of the run, whichever comes first.
var recipeSpans = map[string]map[string][]string{
	histories.RecipeLock:          {"acquired": {"released"}},
	histories.RecipeRWLock:        {"read-acquired": {"read-released"}, "write-acquired": {"write-released"}},
	histories.RecipeElection:      {"elected": {"resigned", "lost"}},
	histories.RecipeMasterWorker:  {"elected": {"resigned", "lost"}, "executing": {"completed", "task-lost"}},
	histories.RecipeMembership:    {"joined": {"left"}},
	histories.RecipeNaming:        {"registered": {"deregistered"}},
	histories.RecipeBarrier:       {"entered": {"passed"}},
	histories.RecipeDoubleBarrier: {"leaving": {"left"}},
}

// recipeFigure is the recipe timeline of a run that ran recipes, or false.
func recipeFigure(d *runData, title string) (figure, bool) {
	if len(d.h.Recipes) == 0 {
		return figure{}, false
	}
	rows := recipeRows(d.h)
	return figure{name: plotRecipes, width: figureWidth, height: 1.3*vg.Inch + vg.Length(len(rows))*0.22*vg.Inch,
		caption: "The recipe timeline: one row per workload process, a mark at each recipe step, colored by step, and a bar over each stretch a step opens (a lock held, a leadership), with the faults shaded. A process keeps its row across the sessions it goes through.",
		build:   func() (*plot.Plot, *plot.Legend, error) { return recipePlot(d, rows, title) }}, true
}

// recipeRow is one process's row.
type recipeRow struct {
	process int
	recipe  string
}

func (r recipeRow) label() string { return "p" + strconv.Itoa(r.process) + " " + r.recipe }

// recipeRows are the processes that ran recipe steps, by process.
func recipeRows(h *histories.History) []recipeRow {
	var rows []recipeRow
	for i := range h.Recipes {
		e := &h.Recipes[i]
		r := recipeRow{process: e.Process, recipe: e.Recipe}
		if !slices.Contains(rows, r) {
			rows = append(rows, r)
		}
	}
	slices.SortFunc(rows, func(a, b recipeRow) int {
		if a.process != b.process {
			return a.process - b.process
		}
		if a.recipe < b.recipe {
			return -1
		}
		if a.recipe > b.recipe {
			return 1
		}
		return 0
	})
	return rows
}

func recipePlot(d *runData, rows []recipeRow, title string) (*plot.Plot, *plot.Legend, error) {
	p := newPlot(title+": recipe steps", "virtual time (s)", "")
	legend := newLegend()
	names := make([]string, len(rows))
	for i, r := range rows {
		names[len(rows)-1-i] = r.label()
	}
	p.NominalY(names...)
	p.Y.Min, p.Y.Max = -0.6, float64(len(rows))-0.4
	span := math.Max(seconds(d.span), 1e-9)
	p.X.Min, p.X.Max = 0, span
	// Faults of servers and the network shade the whole plot; a client's fault is a thin bar
	// under the row of the process whose client it hit.
	faultShading(p, legend, d, p.Y.Min, p.Y.Max, p.Y.Min)
	rowY := func(e *histories.RecipeEvent) float64 {
		return float64(len(rows) - 1 - slices.Index(rows, recipeRow{process: e.Process, recipe: e.Recipe}))
	}
	rowOfClient := map[int]float64{}
	for i := range d.h.Recipes {
		rowOfClient[d.h.Recipes[i].Client] = rowY(&d.h.Recipes[i])
	}
	for i := range d.h.Faults {
		f := &d.h.Faults[i]
		if !isClientFault(f) {
			continue
		}
		x0, x1 := seconds(f.Start), seconds(faultEnd(f, d.span))
		if x1-x0 < minBandWidth(span) {
			x1 = x0 + minBandWidth(span)
		}
		for _, c := range f.Clients {
			if y, ok := rowOfClient[c]; ok {
				p.Add(unboxed{band(x0, x1, y-0.42, y-0.32, withAlpha(faultColor(f.Kind), 220))})
			}
		}
	}

	// Steps are colored by name, in the order they first appear.
	var steps []string
	for i := range d.h.Recipes {
		if s := d.h.Recipes[i].Recipe + " " + d.h.Recipes[i].Step; !slices.Contains(steps, s) {
			steps = append(steps, s)
		}
	}
	stepColor := func(e *histories.RecipeEvent) color.NRGBA {
		return paletteColor(slices.Index(steps, e.Recipe+" "+e.Step))
	}

	// The bars (recipeSpans).
	ends := models.SessionEnds(d.h)
	for i := range d.h.Recipes {
		e := &d.h.Recipes[i]
		closers, opens := recipeSpans[e.Recipe][e.Step]
		if !opens {
			continue
		}
		end := d.span
		for j := i + 1; j < len(d.h.Recipes); j++ {
			n := &d.h.Recipes[j]
			if n.Process == e.Process && n.Recipe == e.Recipe && n.Name == e.Name && (n.Step == e.Step || slices.Contains(closers, n.Step)) {
				end = n.Time
				break
			}
		}
		if t, ok := ends[e.Session]; ok && t < end {
			end = t
		}
		x0, x1 := seconds(e.Time), seconds(end)
		if x1-x0 < minBandWidth(span) {
			x1 = x0 + minBandWidth(span)
		}
		y := rowY(e)
		p.Add(unboxed{band(x0, x1, y-0.3, y+0.3, withAlpha(stepColor(e), 110))})
	}

	// The marks, one scatter per step name so the legend names them.
	for si, step := range steps {
		var xys plotter.XYs
		for i := range d.h.Recipes {
			e := &d.h.Recipes[i]
			if e.Recipe+" "+e.Step == step {
				xys = append(xys, plotter.XY{X: seconds(e.Time), Y: rowY(e)})
			}
		}
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return nil, nil, fmt.Errorf("reports: recipe steps: %w", err)
		}
		sc.GlyphStyle = draw.GlyphStyle{Shape: draw.CircleGlyph{}, Radius: 2, Color: darken(paletteColor(si))}
		p.Add(sc)
		legend.Add(step, sc)
	}
	return p, legend, nil
}
