#!/usr/bin/env bash
# tests/pressure.t - no data is lost under memory pressure.
#
# Generated traces (gentrace SEED, --forks, --files, --forks --files, and
# --nonlinear, those replayed with --nonlinear: 2.6.32's nonlinear mappings,
# whose reclaimed pages leave file PTEs behind; and "compact": --forks
# --files traces with a compact line (order 3 and 5 in turn) after every
# 8th line, replayed on 768K with --compact-evict targeted under --reclaim
# lru and --compact-evict lru under --reclaim virtual, a third as many
# seeds: pages migrated and evicted for compaction keep every byte too)
# replayed on a machine far smaller than the 1 GiB default (PRESSURE_MEM,
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

# compare SMALL BIG [SKIP]: => 0 if the op lines agree up to the small
# machine's first shortage (the lines SKIP lists, compact's, aside: a
# small machine may answer -ENOMEM where 1 GiB has a free block); prints
# "N" (lines compared) or the first difference
compare() {
	awk '
		FILENAME == skipf { skip[$1] = 1; next }
		FILENAME == bigf { if ($1 == "op") big[$2] = $3; next }
		$1 != "op" || ($2 in skip) { next }
		{
			if ($3 == "oom-killed" || $3 == "killed") exit
			if (($3 == "-ENOMEM" || $3 == "-EAGAIN") && big[$2] != $3) exit
			if (big[$2] != $3) { print "line " $2 ": " $3 " on '"$MEM"', " big[$2] " on 1G"; bad = 1; exit }
			n++
		}
		END { if (!bad) print n; exit bad }' skipf="${3:-/dev/null}" bigf="$2" "${3:-/dev/null}" "$2" "$1"
}

# run SCHEME POLICY MODE: every seed of a family
run() {
	local scheme=$1 policy=$2 mode=$3 s out st steal=0 lines=0 outs=0 evicted=0 migrated=0
	local key=${mode// /_} ropt=() nseeds=$NSEEDS gmode=$mode skip="" machine=("${MACHINE[@]}")
	[[ $mode == *--nonlinear* ]] && ropt=(--nonlinear)
	if [[ $mode == compact ]]; then
		# compact lines (3 and 5 in turn) after every 8th line of
		# --forks --files traces; memory short, compaction evicts
		gmode="--forks --files" nseeds=$(((NSEEDS + 2) / 3)) machine=(--mem 768K)
		ropt=(--compact-evict "$([ "$policy" = lru ] && echo targeted || echo lru)")
	fi
	for ((s = 1; s <= nseeds; s++)); do
		# the trace and the big machine's dump are made once per seed
		if [ ! -f "big$key.$s.dump" ]; then
			"$GEN" "$s" $gmode >"t$key.$s.trace" 2>/dev/null ||
				{ fail "gentrace $s $gmode failed"; return 1; }
			if [[ $mode == compact ]]; then
				awk '{ print } NR > 1 && NR % 8 == 0 { print "compact " (NR % 16 ? 3 : 5) }' \
					"t$key.$s.trace" >"t$key.$s.tmp" && mv "t$key.$s.tmp" "t$key.$s.trace"
				grep -n '^compact' "t$key.$s.trace" | cut -d: -f1 >"skip$key.$s"
			fi
			"$REVMAP" replay "t$key.$s.trace" "${ropt[@]}" --dump "big$key.$s.dump" \
				>/dev/null 2>&1
		fi
		"$REVMAP" replay "t$key.$s.trace" "${ropt[@]}" "${machine[@]}" --swap "$SWAP" \
			--scheme "$scheme" \
			--reclaim "$policy" --check \
			--dump small.dump --stats small.json >/dev/null 2>small.err
		st=$?
		if [ $st -ne 0 ] && [ $st -ne 1 ]; then
			fail "seed $s $mode: exit $st: $(head -c 300 small.err)"
			return 1
		fi
		[[ $mode == compact ]] && skip=skip$key.$s
		out=$(compare small.dump "big$key.$s.dump" $skip) || {
			fail "seed $s $mode ${machine[*]} --scheme $scheme --reclaim $policy: $out"
			return 1
		}
		lines=$((lines + out))
		steal=$((steal + $(sed -n 's/.*"pgsteal": \([0-9]*\).*/\1/p' small.json)))
		outs=$((outs + $(sed -n 's/.*"swap_outs": \([0-9]*\).*/\1/p' small.json)))
		[[ $mode == compact ]] &&
			evicted=$((evicted + $(sed -n 's/.*"compaction": {[^}]*"evicted": \([0-9]*\).*/\1/p' small.json))) &&
			migrated=$((migrated + $(sed -n 's/.*"compaction": {[^}]*"migrated": \([0-9]*\).*/\1/p' small.json)))
	done
	if [[ $mode == compact ]]; then
		echo "# $scheme $policy compact: $migrated pages migrated, $evicted evicted ($(sed -n 's/.*"evict": "\([a-z]*\)".*/\1/p' small.json))"
		[ $((migrated + evicted)) -gt 0 ] ||
			{ fail "compaction moved and evicted nothing in $nseeds seeds"; return 1; }
	fi
	echo "# $scheme $policy ${mode:-(anonymous)} ${machine[*]}: $lines op lines agree; reclaim freed $steal frames, $outs swapped out"
	[ "$steal" -gt 0 ] || { fail "reclaim freed nothing in $NSEEDS seeds"; return 1; }
}

MACHINE=(--mem "$MEM")
for scheme in $schemes; do
	for policy in lru virtual; do
		for mode in "" --forks --files "--forks --files" --nonlinear compact; do
			t "$scheme, --reclaim $policy, --mem $([ "$mode" = compact ] && echo 768K || echo "$MEM") --swap $SWAP: ${mode:-anonymous} seeds keep every byte" \
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
