// Package reports draws what runs recorded: the run folder of one run (its scenario, history,
// verdicts, per-window metrics, plots and one self-contained report page), the comparison of
// protocol variants or scenarios on the same seeds, and the summary of a sweep (DESIGN.md
// "reports and cmd"; issue 6).
//
// Reports read histories and verdicts; nothing here feeds back into a run (DESIGN.md
// "Layers"), so plots may use goroutines and wall-clock time without touching determinism.
// Everything a report shows is a function of the run, except porcupine's visualization, which is
// not byte-stable (tooling.md 1.3); no wall-clock time appears in any output.
//
// # Plots
//
// Plots are drawn with gonum.org/v1/plot (tooling.md 3) and saved as PNG and SVG:
//   - latency-raw: every op's latency against its invoke time on a log scale, colored by op kind
//     and shaped by outcome (ok, failed, unknown), with the faults on servers and the network
//     shaded and labelled and the client faults marked along the bottom, as Jepsen's
//     latency-raw plot;
//   - latency-quantiles: p50, p95, p99 and max latency per window;
//   - throughput: completed ops per second per window, all ops and per op kind;
//   - latency-cdf: the latency distribution per op kind;
//   - faults: the fault timeline, one row per server, the network and the clients, with the
//     serving leader's terms.
//
// The PNGs are what the report page embeds (as data URIs: the page is one file that fetches
// nothing); the SVGs are for zooming in. latency-raw draws every op, 100,000 of them included,
// in both formats: a scatter costs what its glyphs cost (tooling.md 3.2; no plot here draws the
// costly jittery line), so ok ops are small filled squares, the cheapest glyph, and the plots
// and the history are drawn and written in parallel. BenchmarkRunFolder measures a whole run
// folder of a 100,000-op run.
//
// # Windows and quantiles
//
// Metrics are per window of virtual time (Window: 1 s for runs up to ten minutes, longer
// windows beyond, so a plot keeps at most about 600 points per line). A window's throughput
// counts the ops that returned in it (per second of the window); its latency quantiles are
// those of the ops invoked in it that returned, so a slow op shows where it started, at the x
// of its point in latency-raw (Jepsen's convention). Quantiles are nearest-rank: the q-quantile
// of n sorted latencies is the ceil(q*n)-th, so every quantile is an observed latency. Ops that
// never returned have no latency; they count as invoked only.
package reports
