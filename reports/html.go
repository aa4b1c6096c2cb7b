package reports

import (
	"encoding/base64"
	"html/template"
	"io"
	"os"
	"path/filepath"
	"strings"

	"zoosim/models"
)

// figureView is a rendered figure as a page shows it: its PNG inline as a data URI (the page
// fetches nothing), with links to the files when they were written next to the page.
type figureView struct {
	Name    string
	Caption string
	// Src is the img element's src attribute, a data URI of base64 (only characters that need
	// no escaping: html/template would write each '+' as "&#43;").
	Src   template.HTMLAttr
	Files bool
}

func figureViews(rs []rendered, files bool) []figureView {
	out := make([]figureView, len(rs))
	for i, r := range rs {
		out[i] = figureView{Name: r.name, Caption: r.caption, Files: files,
			Src: template.HTMLAttr(`src="data:image/png;base64,` + base64.StdEncoding.EncodeToString(r.png) + `"`)}
	}
	return out
}

// statusClass is the CSS class of a status: pass, fail or inconclusive.
func statusClass(s string) string {
	switch s {
	case models.Pass.String():
		return "pass"
	case models.Fail.String():
		return "fail"
	}
	return "inconclusive"
}

// pageStyle is every page's style sheet, inline.
const pageStyle = `
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; margin: 1.5em auto; max-width: 1120px; color: #222; padding: 0 1em; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #ddd; padding-bottom: .2em; }
table { border-collapse: collapse; margin: .5em 0; font-size: .9em; }
th, td { border: 1px solid #ccc; padding: .25em .55em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
pre, code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .85em; }
pre { background: #f6f6f6; padding: .6em; overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
.pass { color: #1a7f37; font-weight: bold; } .fail { color: #cf222e; font-weight: bold; } .inconclusive { color: #9a6700; font-weight: bold; }
.badge { padding: .1em .5em; border-radius: .3em; color: #fff; }
.badge.pass { background: #1a7f37; color: #fff; } .badge.fail { background: #cf222e; color: #fff; } .badge.inconclusive { background: #9a6700; color: #fff; }
figure { margin: 1em 0; } figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { font-size: .85em; color: #555; }
.side { display: flex; flex-wrap: wrap; gap: 1em; } .side figure { flex: 1 1 480px; min-width: 0; }
iframe.porcupine { width: 100%; height: 640px; border: 1px solid #ccc; }
.small { font-size: .85em; color: #555; } ul.violations { margin: .2em 0; padding-left: 1.2em; }
`

// pageFuncs are the templates' helper functions.
var pageFuncs = template.FuncMap{"statusClass": statusClass, "join": strings.Join}

// writeTemplate executes t with data into path.
func writeTemplate(path string, t *template.Template, data any) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := t.Execute(f, data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeFile writes data into dir/name.
func writeFile(dir, name string, write func(w io.Writer) error) error {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// figureNames are the base names of the figures, in order.
func figureNames(fs []figureView) []string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.Name
	}
	return names
}
