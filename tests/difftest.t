#!/usr/bin/env bash
#
# tests/difftest.t - the differential test: revmap against the real kernel.
#
# 1. Each hand-written trace tests/traces/NAME.trace that has an expected dump
#    NAME.dump (made once with linux-replay on a real kernel, and read by hand)
#    gives two TAP lines: revmap's dump equals NAME.dump, and linux-replay's
#    dump on this machine's kernel equals NAME.dump.
# 2. DIFF_SEEDS (default 500) seeds from DIFF_SEED0 (default 1): gentrace SEED
#    makes a trace, revmap and linux-replay run it, the dumps must be equal.
#    One TAP line per seed.
# 3. DIFF_FILE_SEEDS (default 500) seeds from DIFF_FILE_SEED0 (default 1), the
#    same with gentrace SEED --files: traces with files (file, truncate,
#    fwrite, file mappings private and shared) and shared anonymous memory.
#    One TAP line per seed ("files seed N").
# 4. DIFF_FORK_SEEDS (default 100) seeds from DIFF_FORK_SEED0 (default 1), the
#    same with gentrace SEED --forks (many children of one parent, chains of
#    forks, parents exiting or exec'ing with live children, every sharer of a
#    page touching it), and --files too for even seeds.  One TAP line per seed
#    ("forks seed N").
# 5. For each kind of DIFF_KINDS (default: all of them, chain prefork filemap
#    mremap mlock), DIFF_KIND_SEEDS (default 5) seeds from DIFF_KIND_SEED0
#    (default 1), the same with gentrace SEED --kind KIND at its default
#    sizes: the debate's hard cases (gen/hardcase.c): a fork chain with COW,
#    splits and moves at each level; a parent with a large heap and many
#    children; a file mapped shared and private by many processes, then
#    truncated (filemap-mlock: --kind filemap --mlock, every mapping shared
#    and locked); a database server and its workers sharing a data file and
#    shared memory (db, and db-mlock: --kind db --mlock); COW-shared memory moved by mremap in every process; mlocked
#    private and shared memory across fork.  One TAP line per seed ("chain
#    seed N").  Then DIFF_BIG_SEEDS (default 1) seeds from DIFF_BIG_SEED0
#    (default 1) of each kind at the debate's scale, hundreds of processes
#    (chain 200 deep over 64 pages, prefork 200 children of a 1024-page
#    heap, filemap and mremap 200 sharers of 256 pages, mlock 100 of 128;
#    about 15 s on the kernel for the five): "chain big seed N".
#
# revmap replays every trace with --check (what each event changed, and the
# whole machine at the end), so a checker failure fails the line too.
#
# A hand-written trace whose comments say "# needs: pkeys" depends on x86
# protection keys (exec-only memory): revmap replays it with --pkeys=on, and
# the kernel side is skipped on a CPU without them (no ospke in cpuinfo).
# Generated traces run with revmap's default, which follows the host CPU.
#
# One that says "# needs: nonlinear" uses Linux 2.6.32's nonlinear mappings
# (remap_file_pages without new VMAs): revmap replays it with --nonlinear and
# its .dump is revmap's (tests/nonlinear.t checks that every scheme gives
# scan's).  A 6.x kernel emulates remap_file_pages, so its whole dump differs:
# the kernel side compares only the `op` lines, and only when the trace also
# says "# nonlinear: ops as linux" (no call whose result 2.6.32 answers
# differently follows a remap_file_pages); otherwise it is skipped.
#
# The simulator is $REVMAP_BUILD/revmap (default build/); linux-replay and
# gentrace always come from build/, because the Linux tester cannot run under
# ASan.  linux-replay exits 3 when it lacks the privileges it needs (root):
# those lines are skipped.  Without build/linux-replay every Linux-side line
# is skipped.
#
# A failing seed prints the seed, the command to reproduce it, the first
# differing lines and the trace, and keeps the trace and both dumps in
# $REVMAP_BUILD/difftest-fail/.
#
# Rerun one seed:   tests/difftest.t --seed N       (same as
#                   DIFF_SEED0=N DIFF_SEEDS=1 DIFF_FILE_SEEDS=0 tests/difftest.t)
#                   tests/difftest.t --file-seed N  (same as DIFF_SEEDS=0
#                   DIFF_FILE_SEED0=N DIFF_FILE_SEEDS=1 tests/difftest.t)
#                   tests/difftest.t --fork-seed N  (same as DIFF_SEEDS=0
#                   DIFF_FILE_SEEDS=0 DIFF_FORK_SEED0=N DIFF_FORK_SEEDS=1
#                   tests/difftest.t)
#                   tests/difftest.t --kind KIND --kind-seed N  (same as
#                   DIFF_SEEDS=0 DIFF_FILE_SEEDS=0 DIFF_FORK_SEEDS=0
#                   DIFF_KINDS=KIND DIFF_KIND_SEED0=N DIFF_KIND_SEEDS=1
#                   tests/difftest.t); --kind KIND alone runs that kind's
#                   seeds only, --kind-seed N alone seed N of every kind
# Parallel jobs:    DIFF_JOBS (default 1; each job is one replay pair)

set -u
cd "$(dirname "$0")/.." || exit 1

B=${REVMAP_BUILD:-build}
REVMAP=$B/revmap
LR=build/linux-replay
GEN=build/gentrace
SEED0=${DIFF_SEED0:-1}
NSEEDS=${DIFF_SEEDS:-500}
FSEED0=${DIFF_FILE_SEED0:-1}
NFSEEDS=${DIFF_FILE_SEEDS:-500}
KSEED0=${DIFF_FORK_SEED0:-1}
NKSEEDS=${DIFF_FORK_SEEDS:-100}
KINDS=${DIFF_KINDS:-chain prefork filemap filemap-mlock mremap mlock db db-mlock}
HSEED0=${DIFF_KIND_SEED0:-1}
NHSEEDS=${DIFF_KIND_SEEDS:-5}
BSEED0=${DIFF_BIG_SEED0:-1}
NBSEEDS=${DIFF_BIG_SEEDS:-1}
declare -A BIG=([chain]="--procs 200 --pages 64" [prefork]="--procs 200 --pages 1024"
	[filemap]="--procs 200 --pages 256" [mremap]="--procs 200 --pages 256"
	[mlock]="--procs 100 --pages 128" [filemap-mlock]="--procs 200 --pages 256"
	[db]="--procs 200 --pages 256" [db-mlock]="--procs 200 --pages 256")
# gentrace's options for a kind: filemap-mlock is filemap with --mlock
kind_opts() {
	case $1 in
	filemap-mlock) echo "--kind filemap --mlock" ;;
	db-mlock) echo "--kind db --mlock" ;;
	*) echo "--kind $1" ;;
	esac
}
JOBS=${DIFF_JOBS:-1}

while [ $# -gt 0 ]; do
	case $1 in
	--seed) SEED0=$2; NSEEDS=1; NFSEEDS=0; NKSEEDS=0; NHSEEDS=0; NBSEEDS=0; shift 2 ;;
	--seed=*) SEED0=${1#--seed=}; NSEEDS=1; NFSEEDS=0; NKSEEDS=0; NHSEEDS=0; NBSEEDS=0; shift ;;
	--seeds) NSEEDS=$2; shift 2 ;;
	--file-seed) FSEED0=$2; NFSEEDS=1; NSEEDS=0; NKSEEDS=0; NHSEEDS=0; NBSEEDS=0; shift 2 ;;
	--file-seed=*) FSEED0=${1#--file-seed=}; NFSEEDS=1; NSEEDS=0; NKSEEDS=0; NHSEEDS=0; NBSEEDS=0; shift ;;
	--file-seeds) NFSEEDS=$2; shift 2 ;;
	--fork-seed) KSEED0=$2; NKSEEDS=1; NSEEDS=0; NFSEEDS=0; NHSEEDS=0; NBSEEDS=0; shift 2 ;;
	--fork-seed=*) KSEED0=${1#--fork-seed=}; NKSEEDS=1; NSEEDS=0; NFSEEDS=0; NHSEEDS=0; NBSEEDS=0; shift ;;
	--fork-seeds) NKSEEDS=$2; shift 2 ;;
	--kind) KINDS=$2; NSEEDS=0; NFSEEDS=0; NKSEEDS=0; shift 2 ;;
	--kind=*) KINDS=${1#--kind=}; NSEEDS=0; NFSEEDS=0; NKSEEDS=0; shift ;;
	--kind-seed) HSEED0=$2; NHSEEDS=1; NSEEDS=0; NFSEEDS=0; NKSEEDS=0; NBSEEDS=0; shift 2 ;;
	--kind-seed=*) HSEED0=${1#--kind-seed=}; NHSEEDS=1; NSEEDS=0; NFSEEDS=0; NKSEEDS=0; NBSEEDS=0; shift ;;
	--kind-seeds) NHSEEDS=$2; shift 2 ;;
	*) echo "usage: $0 [--seed N] [--seeds COUNT] [--file-seed N] [--file-seeds COUNT]" \
		"[--fork-seed N] [--fork-seeds COUNT] [--kind KIND] [--kind-seed N]" \
		"[--kind-seeds COUNT]" >&2
	   exit 2 ;;
	esac
done

FAILDIR=$B/difftest-fail
TMP=$(mktemp -d "${TMPDIR:-/tmp}/difftest.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

# gentrace stands alone (with the generators of gen/): build it if build/
# does not have it (e.g. only an ASan build exists) or has one older than
# its sources.
GEN_SHOW=$GEN           # how a failure report names it
gen_stale=no
for f in tools/gentrace.c gen/*.[ch]; do
	[ "$f" -nt "$GEN" ] && gen_stale=yes
done
if [ ! -x "$GEN" ] || [ $gen_stale = yes ]; then
	GEN=$TMP/gentrace
	GEN_SHOW="cc -std=c11 -D_GNU_SOURCE -O2 -Iinclude tools/gentrace.c gen/*.c -o /tmp/gentrace && /tmp/gentrace"
	cc -std=c11 -D_GNU_SOURCE -O2 -Iinclude tools/gentrace.c gen/*.c -o "$GEN" 2>"$TMP/gen.err" ||
		GEN=
fi

kinds=($KINDS)

traces=()
for t in tests/traces/*.trace; do
	[ -f "$t" ] && [ -f "${t%.trace}.dump" ] && traces+=("$t")
done

echo "1..$(( 2 * ${#traces[@]} + NSEEDS + NFSEEDS + NKSEEDS + ${#kinds[@]} * (NHSEEDS + NBSEEDS) ))"
n=0

diag() {        # print a file (or stdin) as TAP diagnostics
	sed 's/^/# /' "$@"
}

# ---- 1. hand-written traces ----

host_pkeys=no
grep -qw ospke /proc/cpuinfo 2>/dev/null && host_pkeys=yes

for t in "${traces[@]}"; do
	exp=${t%.trace}.dump
	name=${t#tests/traces/}
	ropt=() needs_pkeys=no nonlinear=no
	if grep -q '^# needs: pkeys' "$t"; then
		ropt=(--pkeys=on) needs_pkeys=yes
	fi
	if grep -q '^# needs: nonlinear' "$t"; then
		ropt+=(--nonlinear) nonlinear=skip
		grep -q '^# nonlinear: ops as linux' "$t" && nonlinear=ops
	fi

	n=$((n + 1))
	if [ ! -x "$REVMAP" ]; then
		echo "not ok $n - revmap $name"
		echo "# $REVMAP is not built"
	else
		"$REVMAP" replay "$t" "${ropt[@]}" --check --dump "$TMP/rv.dump" >"$TMP/rv.out" 2>&1
		rc=$?
		if [ $rc -eq 0 ] && cmp -s "$exp" "$TMP/rv.dump"; then
			echo "ok $n - revmap $name"
		else
			echo "not ok $n - revmap $name"
			echo "# reproduce: $REVMAP replay $t ${ropt[*]} --check --dump /tmp/rv.dump && diff -u $exp /tmp/rv.dump"
			echo "# revmap exit status $rc"
			head -20 "$TMP/rv.out" | diag
			[ -f "$TMP/rv.dump" ] && diff -u "$exp" "$TMP/rv.dump" | head -40 | diag
		fi
		rm -f "$TMP/rv.dump"
	fi

	n=$((n + 1))
	if [ ! -x "$LR" ]; then
		echo "ok $n - linux $name # SKIP $LR is not built"
		continue
	fi
	if [ $needs_pkeys = yes ] && [ $host_pkeys = no ]; then
		echo "ok $n - linux $name # SKIP this CPU has no protection keys"
		continue
	fi
	if [ $nonlinear = skip ]; then
		echo "ok $n - linux $name # SKIP nonlinear mappings (Linux 2.6.32) differ from 6.x's"
		continue
	fi
	"$LR" "$t" --dump "$TMP/lr.dump" >"$TMP/lr.out" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && [ $nonlinear = ops ]; then
		# only the results: 6.x's emulation lays out other VMAs
		grep '^op ' "$exp" >"$TMP/exp.ops"
		grep '^op ' "$TMP/lr.dump" >"$TMP/lr.ops"
		if cmp -s "$TMP/exp.ops" "$TMP/lr.ops"; then
			echo "ok $n - linux $name (op lines)"
		else
			echo "not ok $n - linux $name (op lines)"
			diff -u "$TMP/exp.ops" "$TMP/lr.ops" | head -40 | diag
		fi
		rm -f "$TMP/lr.dump"
		continue
	fi
	if [ $rc -eq 3 ]; then
		echo "ok $n - linux $name # SKIP needs root"
	elif [ $rc -eq 0 ] && cmp -s "$exp" "$TMP/lr.dump"; then
		echo "ok $n - linux $name"
	else
		echo "not ok $n - linux $name"
		echo "# reproduce: $LR $t --dump /tmp/lr.dump && diff -u $exp /tmp/lr.dump"
		echo "# linux-replay exit status $rc"
		head -20 "$TMP/lr.out" | diag
		[ -f "$TMP/lr.dump" ] && diff -u "$exp" "$TMP/lr.dump" | head -40 | diag
	fi
	rm -f "$TMP/lr.dump"
done

# ---- 2., 3., 4. and 5. generated traces ----

# A job is "a:SEED" (gentrace SEED), "f:SEED" (gentrace SEED --files),
# "k:SEED" (gentrace SEED --forks, and --files for an even SEED) or
# "KIND:SEED" (gentrace SEED --kind KIND) or "KIND-big:SEED" (the same at
# the sizes of BIG).
# run_seed JOB: writes $TMP/res.JOB, first line "ok", "skip REASON" or
# "fail", then diagnostics (without the "# "); always whole, through a
# rename, as parallel jobs are reported as soon as the file exists.
run_seed() {
	local job=$1 type=${1%%:*} s=${1##*:} d=$TMP/s.$1 res=$TMP/res.$1
	local opt="" name=seed-$s
	local rerun="DIFF_SEED0=$s DIFF_SEEDS=1 DIFF_FILE_SEEDS=0 DIFF_FORK_SEEDS=0 DIFF_KIND_SEEDS=0 DIFF_BIG_SEEDS=0"
	if [ "$type" = f ]; then
		opt=" --files" name=files-seed-$s
		rerun="DIFF_SEEDS=0 DIFF_FILE_SEED0=$s DIFF_FILE_SEEDS=1 DIFF_FORK_SEEDS=0 DIFF_KIND_SEEDS=0 DIFF_BIG_SEEDS=0"
	elif [ "$type" = k ]; then
		opt=" --forks" name=forks-seed-$s
		[ $((s % 2)) -eq 0 ] && opt=" --forks --files"
		rerun="DIFF_SEEDS=0 DIFF_FILE_SEEDS=0 DIFF_FORK_SEED0=$s DIFF_FORK_SEEDS=1 DIFF_KIND_SEEDS=0 DIFF_BIG_SEEDS=0"
	elif [ "${type%-big}" != "$type" ]; then
		opt=" $(kind_opts "${type%-big}") ${BIG[${type%-big}]}" name=$type-seed-$s
		rerun="DIFF_SEEDS=0 DIFF_FILE_SEEDS=0 DIFF_FORK_SEEDS=0 DIFF_KIND_SEEDS=0 DIFF_KINDS=${type%-big} DIFF_BIG_SEED0=$s DIFF_BIG_SEEDS=1"
	elif [ "$type" != a ]; then
		opt=" $(kind_opts "$type")" name=$type-seed-$s
		rerun="DIFF_SEEDS=0 DIFF_FILE_SEEDS=0 DIFF_FORK_SEEDS=0 DIFF_KINDS=$type DIFF_KIND_SEED0=$s DIFF_KIND_SEEDS=1 DIFF_BIG_SEEDS=0"
	fi
	mkdir -p "$d"
	local repro="$GEN_SHOW $s$opt > $name.trace && $LR $name.trace --dump linux.dump && $REVMAP replay $name.trace --check --dump revmap.dump && diff -u linux.dump revmap.dump"
	rerun="$rerun REVMAP_BUILD=$B tests/difftest.t"
	if [ -z "$GEN" ]; then
		{ echo fail; echo "gentrace does not build:"; cat "$TMP/gen.err"; } >"$res.tmp"
		mv "$res.tmp" "$res"; return
	fi
	if ! "$GEN" "$s" $opt >"$d/t.trace" 2>"$d/gen.err"; then
		{ echo fail; echo "gentrace $s$opt failed:"; cat "$d/gen.err"; } >"$res.tmp"
		mv "$res.tmp" "$res"; return
	fi
	if [ ! -x "$LR" ]; then
		echo "skip $LR is not built" >"$res.tmp"; mv "$res.tmp" "$res"; rm -rf "$d"; return
	fi
	"$LR" "$d/t.trace" --dump "$d/linux.dump" >"$d/lr.out" 2>&1
	local lrc=$?
	if [ $lrc -eq 3 ]; then
		echo "skip needs root" >"$res.tmp"; mv "$res.tmp" "$res"; rm -rf "$d"; return
	fi
	local rrc=127
	if [ -x "$REVMAP" ]; then
		"$REVMAP" replay "$d/t.trace" --check --dump "$d/revmap.dump" >"$d/rv.out" 2>&1
		rrc=$?
	else
		echo "$REVMAP is not built" >"$d/rv.out"
	fi
	if [ $lrc -eq 0 ] && [ $rrc -eq 0 ] && cmp -s "$d/linux.dump" "$d/revmap.dump"; then
		echo ok >"$res.tmp"; mv "$res.tmp" "$res"; rm -rf "$d"; return
	fi
	mkdir -p "$FAILDIR"
	cp "$d/t.trace" "$FAILDIR/$name.trace"
	[ -f "$d/linux.dump" ] && cp "$d/linux.dump" "$FAILDIR/$name.linux.dump"
	[ -f "$d/revmap.dump" ] && cp "$d/revmap.dump" "$FAILDIR/$name.revmap.dump"
	{
		echo fail
		echo "seed $s$opt: the dumps of revmap and Linux differ"
		echo "trace kept: $FAILDIR/$name.trace (dumps beside it)"
		echo "rerun: $rerun"
		echo "reproduce: $repro"
		if [ $lrc -ne 0 ]; then
			echo "linux-replay exit status $lrc:"
			head -10 "$d/lr.out"
		fi
		if [ $rrc -ne 0 ]; then
			echo "revmap exit status $rrc:"
			head -10 "$d/rv.out"
		fi
		if [ -f "$d/linux.dump" ] && [ -f "$d/revmap.dump" ]; then
			echo "first differences (- linux, + revmap):"
			diff -u --label linux --label revmap "$d/linux.dump" "$d/revmap.dump" | head -40
		fi
		echo "the trace:"
		grep -v '^#' "$d/t.trace"
	} >"$res.tmp"
	mv "$res.tmp" "$res"
	rm -rf "$d"
}

report_seed() {
	local job=$1 res=$TMP/res.$1 first type=${1%%:*} name="seed ${1##*:}"
	case $type in
	a) ;;
	f) name="files seed ${job#f:}" ;;
	k) name="forks seed ${job#k:}" ;;
	*) name="${type/-big/ big} seed ${job##*:}" ;;
	esac
	n=$((n + 1))
	first=$(head -1 "$res")
	case $first in
	ok) echo "ok $n - $name" ;;
	skip*) echo "ok $n - $name # SKIP ${first#skip }" ;;
	*)
		echo "not ok $n - $name"
		tail -n +2 "$res" | diag
		;;
	esac
	rm -f "$res"
}

jobs=()
for ((s = SEED0; s < SEED0 + NSEEDS; s++)); do
	jobs+=("a:$s")
done
for ((s = FSEED0; s < FSEED0 + NFSEEDS; s++)); do
	jobs+=("f:$s")
done
for ((s = KSEED0; s < KSEED0 + NKSEEDS; s++)); do
	jobs+=("k:$s")
done
for kind in "${kinds[@]}"; do
	for ((s = HSEED0; s < HSEED0 + NHSEEDS; s++)); do
		jobs+=("$kind:$s")
	done
	for ((s = BSEED0; s < BSEED0 + NBSEEDS; s++)); do
		jobs+=("$kind-big:$s")
	done
done

next_report=0
running=0
for ((i = 0; i < ${#jobs[@]}; i++)); do
	if [ "$JOBS" -le 1 ]; then
		run_seed "${jobs[i]}"
		report_seed "${jobs[i]}"
		continue
	fi
	run_seed "${jobs[i]}" &
	running=$((running + 1))
	if [ $running -ge "$JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
	while [ $next_report -lt ${#jobs[@]} ] && [ -f "$TMP/res.${jobs[next_report]}" ]; do
		report_seed "${jobs[next_report]}"
		next_report=$((next_report + 1))
	done
done
if [ "$JOBS" -gt 1 ]; then
	wait
	while [ $next_report -lt ${#jobs[@]} ]; do
		report_seed "${jobs[next_report]}"
		next_report=$((next_report + 1))
	done
fi
exit 0
