#!/usr/bin/env bash
# tests/pressure.t - no data is lost under memory pressure.
#
# Generated traces (gentrace SEED, --forks, --files, --forks --files, and
# --nonlinear, those replayed with --nonlinear: 2.6.32's nonlinear mappings,
# whose reclaimed pages leave file PTEs behind) replayed on a machine far smaller than the 1 GiB default (PRESSURE_MEM,
# default 384K: reclaim runs in most seeds) with swap (PRESSURE_SWAP,
# default 64M) under every registered scheme and both reclaim policies,
# with --check, must give the op lines that the 1 GiB machine without swap
# gives, line for line, up to the first line where the small machine runs
# out (a result of -ENOMEM or -EAGAIN that the big one does not have: mlock
# and populate need the memory there is, and a system call does not
# reclaim; or an OOM kill).  Every r up to there reads what the big machine
# reads: the pages reclaim took (swapped out, written to their store,
# dropped, read back) kept every byte.  PRESSURE_SEEDS (default 30) seeds
# of each family; the test fails if reclaim freed nothing in all of them
# (it would prove nothing), and says how many swapped.  Then the same
# with --lowmem (a low zone for kernel metadata) under ptechain and avc.
#
# Environment: REVMAP_BUILD (default build), PRESSURE_MEM, PRESSURE_SWAP,
# PRESSURE_SEEDS, TEST_SCHEMES (only these schemes).

set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=${REVMAP_BUILD:-build}
REVMAP=$ROOT/$B/revmap
GEN=$ROOT/build/gentrace
[ -x "$GEN" ] || GEN=$ROOT/$B/gentrace
MEM=${PRESSURE_MEM:-384K}
SWAP=${PRESSURE_SWAP:-64M}
NSEEDS=${PRESSURE_SEEDS:-30}

. "$ROOT/tests/tap.sh"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/pressure.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1

schemes=$("$REVMAP" info | sed -n 's/^rmap schemes: *//p' | sed 's/ (also: [^)]*)//')
# TEST_SCHEMES="a b": only these (a scheme's own work in progress)
[ -n "${TEST_SCHEMES:-}" ] && schemes=$TEST_SCHEMES

# compare SMALL BIG: => 0 if the op lines agree up to the small machine's
# first shortage; prints "N" (lines compared) or the first difference
compare() {
	awk '
		FNR == NR { if ($1 == "op") big[$2] = $3; next }
		$1 != "op" { next }
		{
			if ($3 == "oom-killed" || $3 == "killed") exit
			if (($3 == "-ENOMEM" || $3 == "-EAGAIN") && big[$2] != $3) exit
			if (big[$2] != $3) { print "line " $2 ": " $3 " on '"$MEM"', " big[$2] " on 1G"; bad = 1; exit }
			n++
		}
		END { if (!bad) print n; exit bad }' "$2" "$1"
}

# run SCHEME POLICY MODE: every seed of a family
run() {
	local scheme=$1 policy=$2 mode=$3 s out st steal=0 lines=0 outs=0
	local key=${mode// /_} ropt=()
	[[ $mode == *--nonlinear* ]] && ropt=(--nonlinear)
	for ((s = 1; s <= NSEEDS; s++)); do
		# the trace and the big machine's dump are made once per seed
		if [ ! -f "big$key.$s.dump" ]; then
			"$GEN" "$s" $mode >"t$key.$s.trace" 2>/dev/null ||
				{ fail "gentrace $s $mode failed"; return 1; }
			"$REVMAP" replay "t$key.$s.trace" "${ropt[@]}" --dump "big$key.$s.dump" \
				>/dev/null 2>&1
		fi
		"$REVMAP" replay "t$key.$s.trace" "${ropt[@]}" "${MACHINE[@]}" --swap "$SWAP" \
			--scheme "$scheme" \
			--reclaim "$policy" --check \
			--dump small.dump --stats small.json >/dev/null 2>small.err
		st=$?
		if [ $st -ne 0 ] && [ $st -ne 1 ]; then
			fail "seed $s $mode: exit $st: $(head -c 300 small.err)"
			return 1
		fi
		out=$(compare small.dump "big$key.$s.dump") || {
			fail "seed $s $mode --mem $MEM --scheme $scheme --reclaim $policy: $out"
			return 1
		}
		lines=$((lines + out))
		steal=$((steal + $(sed -n 's/.*"pgsteal": \([0-9]*\).*/\1/p' small.json)))
		outs=$((outs + $(sed -n 's/.*"swap_outs": \([0-9]*\).*/\1/p' small.json)))
	done
	echo "# $scheme $policy ${mode:-(anonymous)} ${MACHINE[*]}: $lines op lines agree; reclaim freed $steal frames, $outs swapped out"
	[ "$steal" -gt 0 ] || { fail "reclaim freed nothing in $NSEEDS seeds"; return 1; }
}

MACHINE=(--mem "$MEM")
for scheme in $schemes; do
	for policy in lru virtual; do
		for mode in "" --forks --files "--forks --files" --nonlinear; do
			t "$scheme, --reclaim $policy, --mem $MEM --swap $SWAP: $NSEEDS ${mode:-anonymous} seeds keep every byte" \
				run "$scheme" "$policy" "$mode"
		done
	done
done
# --lowmem (issue 12): the same with a low zone that alone holds kernel
# metadata, under a chain scheme and an object one: metadata allocations
# that find lowmem short reclaim low pages, then OOM, and still no byte is
# lost up to the first shortage; once with page tables low, once with the
# PTE tables high (--highpte), the high zone PRESSURE_MEM in both
for scheme in ptechain avc; do
	case " $schemes " in *" $scheme "*) ;; *) continue ;; esac
	for machine in "768K 384K" "640K 256K --highpte"; do
		set -- $machine
		MACHINE=(--mem "$1" --lowmem "$2" "${@:3}")
		for policy in lru virtual; do
			t "$scheme, --reclaim $policy, ${MACHINE[*]} --swap $SWAP: $NSEEDS --forks --files seeds keep every byte" \
				run "$scheme" "$policy" "--forks --files"
		done
	done
done
echo "1..$n"
