package reports

import (
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"zoosim/sim/cluster"
	"zoosim/testbed"
)

// A run of a recipe workload has one plot more, the recipe timeline, in its folder and on its
// page; a run without recipes has none.
func TestRecipeRunHasItsTimeline(t *testing.T) {
	sc := cluster.RecipeScenario(cluster.WorkloadLock)
	sc.Safety = cluster.Duration(3 * time.Second)
	r, err := testbed.Run(sc, 1, testbed.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.History.Recipes) == 0 {
		t.Fatal("a lock run recorded no recipe steps")
	}
	dir := filepath.Join(t.TempDir(), "seed-1")
	if err := WriteRunFolder(dir, r, "replay"); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, plotRecipes+".png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if img, err := png.Decode(f); err != nil || img.Bounds().Dy() < 200 {
		t.Fatalf("%s.png: not a plot (%v)", plotRecipes, err)
	}
	page, _ := os.ReadFile(filepath.Join(dir, ReportFile))
	embedded := regexp.MustCompile(`<img src="data:image/png;base64,`).FindAllString(string(page), -1)
	if len(embedded) != len(RunPlots())+1 || !strings.Contains(string(page), plotRecipes+".svg") {
		t.Fatalf("report.html embeds %d plots and links recipes.svg: %v; want %d and a link", len(embedded),
			strings.Contains(string(page), plotRecipes+".svg"), len(RunPlots())+1)
	}

	plain := filepath.Join(t.TempDir(), "plain")
	if err := WriteRunFolder(plain, smallRun(t), "replay"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(plain, plotRecipes+".png")); err == nil {
		t.Fatal("a run without recipes has a recipe timeline")
	}
}
