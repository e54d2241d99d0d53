#!/usr/bin/env bash
#
# tests/sweep.t - revmap sweep and revmap report: a sweep's jobs run apart
# (GNU parallel, two at a time) and merged by report give the table of the
# same sweep run in one process.  TAP; run by prove.  REVMAP_BUILD names the
# build directory (default build).
#
# What is tested:
#   - sweep --jobs --quick prints one job per cell: absolute paths, a
#     'revmap bench --one', a result file of its own for each;
#   - the jobs run with parallel -j2 in a temporary directory (one by one
#     when GNU parallel is missing, said), each writing its JSON there;
#   - report --counts-only over that directory prints, byte for byte, what
#     sweep --run --counts-only prints for the same sweep, one row per job;
#     report's --json read back by report gives it again;
#   - the comparison can fail: a result file removed, or one count altered,
#     changes report's table; a result found twice makes report exit 1;
#   - report without --counts-only has the timing columns, and --plots
#     draws the SVGs (when gnuplot is here).
# The workloads: two shipped-style traces of tests/traces, one of them
# compressed with gzip, and the chain case at --quick's sizes.
# SWEEP_SCHEMES (default avc,ptechain) are the sweep's schemes; make check's
# sanitizer build gives fewer.

set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)

B=${REVMAP_BUILD:-build}
REVMAP=$(cd "$B" 2>/dev/null && pwd)/revmap
SCHEMES=${SWEEP_SCHEMES:-avc,ptechain}
TMP=$(mktemp -d "${TMPDIR:-/tmp}/sweep-t.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

. "$ROOT/tests/tap.sh"

if [ ! -x "$REVMAP" ]; then
	echo "1..0 # SKIP no $B/revmap (run make first)"
	exit 0
fi

W=$TMP/workloads
mkdir -p "$W" "$TMP/par" "$TMP/seq"
gzip -c tests/traces/cow_fork.trace >"$W/cow_fork.trace.gz"
cp tests/traces/exec.trace "$W/exec.trace"
SWEEP=(sweep --quick --workloads "$W" --scheme "$SCHEMES" --no-host)

jobs_ok() {
	"$REVMAP" "${SWEEP[@]}" --jobs >"$TMP/jobs" 2>"$TMP/jobs.err" ||
		{ fail "exit $?: $(head -c 300 "$TMP/jobs.err")"; return 1; }
	local n files
	n=$(wc -l <"$TMP/jobs")
	[ "$n" -ge 4 ] || { fail "only $n jobs"; return 1; }
	grep -Ev "^$REVMAP bench --one (/|gen:)" "$TMP/jobs" | head -1 | grep . &&
		{ fail "a job that is not '$REVMAP bench --one /ABSOLUTE' or gen:CASE"; return 1; }
	files=$(grep -o -- '--json [^ ]*$' "$TMP/jobs" | sort | uniq | wc -l)
	[ "$files" -eq "$n" ] || { fail "$n jobs, $files result files"; return 1; }
	grep -q 'cow_fork.trace.gz' "$TMP/jobs" && grep -q 'gen:chain' "$TMP/jobs" ||
		{ fail "not the first trace and the chain case: $(head -2 "$TMP/jobs")"; return 1; }
	echo "# $n jobs"
}
t "sweep --jobs --quick: one 'revmap bench --one' per cell, absolute, a file each" jobs_ok

run_jobs() {
	if command -v parallel >/dev/null; then
		(cd "$TMP/par" && parallel -j2 --halt now,fail=1 <"$TMP/jobs" >"$TMP/par.out" 2>"$TMP/par.err") ||
			{ fail "parallel: exit $?: $(head -c 400 "$TMP/par.err")"; return 1; }
	else
		echo "# no GNU parallel here (make deps installs it): the jobs run one by one"
		(cd "$TMP/par" && while read -r job; do sh -c "$job" || exit 1; done <"$TMP/jobs" \
			>"$TMP/par.out" 2>"$TMP/par.err") ||
			{ fail "a job failed: $(head -c 400 "$TMP/par.err")"; return 1; }
	fi
	local n
	n=$(ls "$TMP/par"/*.json | wc -l)
	[ "$n" -eq "$(wc -l <"$TMP/jobs")" ] || { fail "$n result files"; return 1; }
}
t "the jobs run two at a time, each writes its result" run_jobs

# the sequential run of the same sweep
"$REVMAP" "${SWEEP[@]}" --run --counts-only --json "$TMP/seq/all.json" >"$TMP/seq.txt" 2>"$TMP/seq.err"
seq_rc=$?

same_table() {
	[ "$seq_rc" -eq 0 ] || { fail "sweep --run: exit $seq_rc: $(head -c 300 "$TMP/seq.err")"; return 1; }
	"$REVMAP" report --counts-only "$TMP/par" >"$TMP/par.txt" 2>"$TMP/rep.err" ||
		{ fail "report: exit $?: $(head -c 300 "$TMP/rep.err")"; return 1; }
	diff "$TMP/seq.txt" "$TMP/par.txt" >"$TMP/diff" ||
		{ fail "report differs from the sequential run: $(head -c 800 "$TMP/diff")"; return 1; }
	[ "$(($(wc -l <"$TMP/par.txt") - 1))" -eq "$(wc -l <"$TMP/jobs")" ] ||
		{ fail "not one row per job"; return 1; }
	"$REVMAP" report --counts-only "$TMP/seq/all.json" >"$TMP/back.txt" 2>"$TMP/rep.err" &&
		cmp -s "$TMP/seq.txt" "$TMP/back.txt" ||
		{ fail "report of sweep --run's --json is not its table"; return 1; }
}
t "report --counts-only of the jobs' files = sweep --run --counts-only, row per job" same_table

# the comparison fails when a result is missing or altered, and a cell
# found twice is an error
can_fail() {
	local f
	mkdir -p "$TMP/bad"
	cp "$TMP/par"/*.json "$TMP/bad/"
	f=$(ls "$TMP/bad"/*.json | head -1)
	rm "$f"
	"$REVMAP" report --counts-only "$TMP/bad" >"$TMP/bad.txt" 2>/dev/null
	cmp -s "$TMP/seq.txt" "$TMP/bad.txt" && { fail "a missing file went unseen"; return 1; }
	cp "$TMP/par"/*.json "$TMP/bad/"
	f=$(ls "$TMP/bad"/*.json | tail -1)
	sed -i 's/"rmap_bytes_peak": \([0-9]*\)/"rmap_bytes_peak": 1\1/' "$f"
	"$REVMAP" report --counts-only "$TMP/bad" >"$TMP/bad.txt" 2>/dev/null
	cmp -s "$TMP/seq.txt" "$TMP/bad.txt" && { fail "an altered count went unseen"; return 1; }
	cp "$f" "$TMP/bad/again.json"
	"$REVMAP" report --counts-only "$TMP/bad" >/dev/null 2>"$TMP/bad.err"
	[ $? -eq 1 ] && grep -q 'there twice' "$TMP/bad.err" ||
		{ fail "a cell twice: $(head -c 300 "$TMP/bad.err")"; return 1; }
}
t "a missing or altered result changes report's table; a cell twice exits 1" can_fail

full_report() {
	"$REVMAP" report --plots "$TMP/plots" "$TMP/par" >"$TMP/full.txt" 2>"$TMP/full.err" ||
		{ fail "exit $?: $(head -c 300 "$TMP/full.err")"; return 1; }
	grep -q '^workload .*ns/walk .*fork/L' "$TMP/full.txt" || { fail "no timing columns"; return 1; }
	if command -v gnuplot >/dev/null; then
		[ -s "$TMP/plots/metadata-bytes.svg" ] && [ -s "$TMP/plots/ns-per-walk.svg" ] ||
			{ fail "no SVG: $(ls "$TMP/plots")"; return 1; }
	else
		grep -q 'no gnuplot' "$TMP/full.err" || { fail "no warning without gnuplot"; return 1; }
	fi
}
t "report with its timing columns and --plots" full_report

echo "1..$n"
