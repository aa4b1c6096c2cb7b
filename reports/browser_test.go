package reports

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromium finds a Chromium or Chrome executable: $ZOOSIM_CHROMIUM, else the usual names on
// PATH (Debian's package installs /usr/bin/chromium).
func chromium() string {
	for _, name := range []string{os.Getenv("ZOOSIM_CHROMIUM"), "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// requireChromium returns the browser to run, or stops the test: in CI (CI set, as .ci/run
// and every CI service set it) a missing browser is a failure, elsewhere a skip that says why.
func requireChromium(t *testing.T) string {
	t.Helper()
	exe := chromium()
	if exe != "" {
		return exe
	}
	const why = "no Chromium on PATH (chromium, chromium-browser, google-chrome) and ZOOSIM_CHROMIUM unset"
	if os.Getenv("CI") != "" {
		t.Fatalf("%s, but CI is set: the report pages must be opened in a browser (.ci/run installs the distribution's chromium package)", why)
	}
	t.Skipf("%s: the report pages are not opened in a browser (install chromium to run this test; in CI it fails instead)", why)
	return ""
}

// pageCheck is what a page must show once loaded.
type pageCheck struct {
	name, path string
	// images is how many plots the page embeds.
	images int
	// selectors must each match an element.
	selectors []string
	// porcupine: the page has porcupine's visualization in an iframe, which must draw.
	porcupine bool
}

// pageState is what the browser reports of a loaded page.
type pageState struct {
	Title      string   `json:"title"`
	Height     int      `json:"height"`
	Images     int      `json:"images"`
	Broken     []string `json:"broken"`
	Missing    []string `json:"missing"`
	Porcupine  int      `json:"porcupine"`
	InlineSVGs int      `json:"inlineSVGs"`
}

// pageStateJS waits for every image to decode (and for porcupine's script in the iframe to
// draw, for up to 5 s), then reports the page.
const pageStateJS = `(async (selectors, porcupine) => {
  await Promise.all(Array.from(document.images).map(i => i.decode().catch(() => null)));
  let drawn = 0;
  if (porcupine) {
    for (let i = 0; i < 50; i++) {
      const f = document.querySelector('iframe.porcupine');
      const d = f && f.contentDocument;
      drawn = d ? d.querySelectorAll('svg rect, svg text').length : 0;
      if (drawn > 0) break;
      await new Promise(r => setTimeout(r, 100));
    }
  }
  return {
    title: document.title,
    height: document.body.scrollHeight,
    images: document.images.length,
    broken: Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).map(i => i.alt || i.src.slice(0, 40)),
    missing: selectors.filter(s => !document.querySelector(s)),
    porcupine: drawn,
    inlineSVGs: document.querySelectorAll('svg').length,
  };
})`

// TestPagesRenderInChromium opens report.html (of a run whose linearizable verdict failed, so
// it carries porcupine's visualization), compare.html and sweep.html in headless Chromium and
// checks that each renders: every plot image decodes (naturalWidth > 0), the page's parts are
// there, porcupine's script draws its SVG in the iframe, no script throws or logs an error, and
// the browser fetches nothing but the file itself and data URIs.
func TestPagesRenderInChromium(t *testing.T) {
	exe := requireChromium(t)
	root := t.TempDir()
	reportDir := filepath.Join(root, "run")
	if err := WriteRunFolder(reportDir, nonLinearizableRun(t), "go run ./cmd/zoosim replay run"); err != nil {
		t.Fatal(err)
	}
	compareDir := filepath.Join(root, "compare")
	labels, runs := handCompare()
	if err := WriteCompare(compareDir, labels, runs); err != nil {
		t.Fatal(err)
	}
	sweepDir := filepath.Join(root, "sweep")
	if err := WriteSweep(sweepDir, handOutcomes(t, filepath.Join(root, "runs"))); err != nil {
		t.Fatal(err)
	}
	pages := []pageCheck{
		{name: "report", path: filepath.Join(reportDir, ReportFile), images: len(RunPlots()), porcupine: true,
			selectors: []string{"#verdicts", "#replay", "#faults", "#scenario", "#linearizable", "iframe.porcupine"}},
		{name: "compare", path: filepath.Join(compareDir, CompareFile), images: 5,
			selectors: []string{"#table", "#overlaid", "#side-by-side"}},
		{name: "sweep", path: filepath.Join(sweepDir, SweepFile), images: len(SweepPlots()),
			selectors: []string{"#summary", "#plots", "#failing"}},
	}

	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	ctx, cancel := context.WithTimeout(browser, 90*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil { // start the browser
		t.Fatalf("starting %s: %v", exe, err)
	}
	for _, pc := range pages {
		t.Run(pc.name, func(t *testing.T) {
			state, problems, err := openPage(ctx, pc)
			if err != nil {
				t.Fatal(err)
			}
			if state.Title == "" || state.Height < 800 {
				t.Errorf("the page did not render: title %q, height %d px", state.Title, state.Height)
			}
			if state.Images != pc.images || len(state.Broken) > 0 {
				t.Errorf("%d images (want %d), not loaded: %v", state.Images, pc.images, state.Broken)
			}
			if len(state.Missing) > 0 {
				t.Errorf("missing parts: %v", state.Missing)
			}
			if pc.porcupine && state.Porcupine == 0 {
				t.Errorf("porcupine's visualization drew nothing in its iframe")
			}
			for _, p := range problems {
				t.Error(p)
			}
		})
	}

	// The checks above can fail: a page with a broken image, a script error, a console error
	// and an external fetch trips each of them.
	t.Run("a broken page is caught", func(t *testing.T) {
		path := filepath.Join(root, "broken.html")
		page := `<!DOCTYPE html><html><head><title>broken</title></head><body>
<img src="data:image/png;base64,AAAA" alt="undecodable">
<img src="http://127.0.0.1:9/plot.png" alt="external">
<script>console.error("boom");</script>
<script>throw new Error("thrown on purpose");</script>
</body></html>`
		if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
			t.Fatal(err)
		}
		state, problems, err := openPage(ctx, pageCheck{name: "broken", path: path, selectors: []string{"#verdicts"}})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(state.Broken, "undecodable") || !slices.Contains(state.Broken, "external") {
			t.Errorf("broken images not caught: %v", state.Broken)
		}
		if !slices.Contains(state.Missing, "#verdicts") {
			t.Errorf("a missing part not caught: %v", state.Missing)
		}
		all := strings.Join(problems, "\n")
		for _, want := range []string{"console.error", "thrown on purpose", "the page fetched http://127.0.0.1:9/plot.png"} {
			if !strings.Contains(all, want) {
				t.Errorf("%q not caught; the problems found:\n%s", want, all)
			}
		}
	})
}

// openPage opens a page in a new tab of the browser, waits for it to load and its images to
// decode, and returns what the page shows and the problems the browser reported meanwhile:
// script exceptions, console errors, error log entries and any fetch of something other than
// a file or a data URI.
func openPage(ctx context.Context, pc pageCheck) (pageState, []string, error) {
	var mu sync.Mutex
	var problems []string
	note := func(format string, args ...any) {
		mu.Lock()
		problems = append(problems, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	tab, closeTab := chromedp.NewContext(ctx, chromedp.WithListener(func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			d := e.ExceptionDetails
			text := d.Text
			if d.Exception != nil && d.Exception.Description != "" {
				text += " " + d.Exception.Description
			}
			note("script exception at %s:%d: %s", d.URL, d.LineNumber, text)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
				var args []string
				for _, a := range e.Args {
					args = append(args, string(a.Value)+a.Description)
				}
				note("console.%s: %s", e.Type, strings.Join(args, " "))
			}
		case *log.EventEntryAdded:
			if e.Entry.Level == log.EntryLevelError {
				note("browser log error (%s): %s %s", e.Entry.Source, e.Entry.Text, e.Entry.URL)
			}
		case *network.EventRequestWillBeSent:
			if u, err := url.Parse(e.Request.URL); err != nil || (u.Scheme != "file" && u.Scheme != "data" && u.Scheme != "about") {
				note("the page fetched %.100s", e.Request.URL)
			}
		}
	}))
	defer closeTab()
	pageURL := (&url.URL{Scheme: "file", Path: filepath.ToSlash(pc.path)}).String()
	if err := chromedp.Do(tab, chromedp.Navigate(pageURL)); err != nil {
		return pageState{}, nil, fmt.Errorf("opening %s: %w", pageURL, err)
	}
	state, err := chromedp.Run(tab, chromedp.Evaluate[pageState](
		fmt.Sprintf("%s([%s], %v)", pageStateJS, quoteJS(pc.selectors), pc.porcupine), chromedp.EvalAwaitPromise))
	if err != nil {
		return pageState{}, nil, fmt.Errorf("reading %s: %w", pageURL, err)
	}
	if dir := os.Getenv("ZOOSIM_SCREENSHOTS"); dir != "" {
		if shot, err := chromedp.Run(tab, chromedp.FullScreenshot(80)); err == nil {
			_ = os.WriteFile(filepath.Join(dir, pc.name+".jpeg"), shot, 0o644)
		}
	}
	// Let late errors (a timer, a failed load) arrive before reading them.
	if _, err := chromedp.Run(tab, chromedp.Evaluate[int](`new Promise(r => setTimeout(() => r(1), 200))`, chromedp.EvalAwaitPromise)); err != nil {
		return pageState{}, nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	return state, slices.Clone(problems), nil
}

// quoteJS writes strings as JavaScript string literals, comma-separated.
func quoteJS(ss []string) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(parts, ", ")
}
