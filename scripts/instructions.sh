#!/usr/bin/env bash
# instructions.sh [SEEDS] [TOP]: instructions per seed of a SEEDS-seed (default 4) sweep of the
# default sweep scenario, counted by valgrind's cachegrind, and the TOP (default 40) functions.
#
# Wall and CPU time vary by 15% on a shared machine for identical work; an instruction count
# does not (identical code gives identical counts to about 0.05%, whatever else runs), so it
# shows a 0.5% change that no timing can. It does not see cache misses, page faults or the
# collector (GC is off here): confirm a change that moves memory around with a CPU profile
# (ZOOSIM_CPUPROFILE) and, in the end, with time. Needs valgrind (apt-get install valgrind).
set -euo pipefail
seeds=${1:-4}
top=${2:-40}
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/zoosim" ./cmd/zoosim
# GC off: the collector's timing would add noise. asyncpreemptoff and cpu.rdtscp=off: valgrind
# handles neither the preemption signals nor the rdtscp instruction the runtime uses.
for try in 1 2 3; do
  rm -rf "$dir/sweep"
  if GOGC=off GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off GOMAXPROCS=1 valgrind --tool=cachegrind \
      --cache-sim=no --cachegrind-out-file="$dir/cg.out" "$dir/zoosim" sweep --seeds "$seeds" \
      --workers 1 --out "$dir/sweep" >"$dir/log" 2>&1; then
    break
  fi
  if [ "$try" = 3 ]; then cat "$dir/log" >&2; exit 1; fi
done
cg_annotate --auto=no --threshold=0.01 "$dir/cg.out" | awk -v seeds="$seeds" -v top="$top" '
  function num(s) { gsub(",", "", s); return s + 0 }
  /PROGRAM TOTALS/ { total = num($1); next }
  /^ *[0-9,]+ \( *[0-9.]+%\) / {
    n = num($1); name = $0; sub(/^ *[0-9,]+ \( *[0-9.]+%\) +/, "", name); sub(/^[^:]*:/, "", name)
    # The sweep report drawn at the end (plots, PNG encoding) is not per-seed work.
    if (name ~ /freetype|^image|compress\/|gonum|adler32|crc32\.|bufio|draw|png|flate|truetype|font/) { plot += n; next }
    fn[name] += n
  }
  END {
    printf "per seed: %.2fM instructions (the sweep report excluded)\n", (total - plot) / seeds / 1e6
    for (k in fn) printf "%10.2fM %5.2f%% %s\n", fn[k] / seeds / 1e6, 100 * fn[k] / (total - plot), k | "sort -rn | head -n " top
  }'
