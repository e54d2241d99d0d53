#!/usr/bin/env bash
#
# tests/nonlinear.t - real nonlinear mappings (`revmap replay --nonlinear`,
# Linux 2.6.32's VM_NONLINEAR for tmpfs and shared memory).  TAP; run by
# prove.  REVMAP_BUILD names the build directory (default build).
#
# The kernel of difftest.t is a 6.x one, which emulates remap_file_pages, so
# under --nonlinear the oracle is the scan scheme: every scheme must give
# scan's whole dump, with --check (whose walks, for a page of a nonlinear
# VMA, search the file's i_mmap_nonlinear and must find every PTE):
#   - each hand-written trace that says "# needs: nonlinear" replays to its
#     .dump under every scheme;
#   - NONLINEAR_SEEDS (default 25) seeds of `gentrace --nonlinear`, and as
#     many with --forks too, replay under every scheme to scan's dump, and
#     to the same `op` lines with --check=full under scan;
#   - without --nonlinear, remap_file_pages still is 6.x's emulation (the
#     hand-written remap_file_pages traces keep their kernel dumps: that is
#     schemes.t's and difftest.t's), and with it the same traces run clean.

set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)

B=${REVMAP_BUILD:-build}
REVMAP=$ROOT/$B/revmap
GEN=$ROOT/build/gentrace
[ -x "$GEN" ] || GEN=$ROOT/$B/gentrace
NSEEDS=${NONLINEAR_SEEDS:-25}

. "$ROOT/tests/tap.sh"

if [ ! -x "$REVMAP" ]; then
	echo "1..0 # SKIP no $B/revmap (run make first)"
	exit 0
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/nonlinear-t.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

schemes=$("$REVMAP" info | sed -n 's/^rmap schemes: *//p' | sed 's/([^)]*)//g')

traces=()
for t in tests/traces/*.trace; do
	grep -q '^# needs: nonlinear' "$t" && traces+=("$t")
done

handwritten() {
	local t=$1 s
	[ -f "${t%.trace}.dump" ] || { fail "$t has no .dump"; return 1; }
	for s in $schemes; do
		"$REVMAP" replay "$t" --nonlinear --scheme "$s" --check --dump "$TMP/rv.dump" \
			>"$TMP/rv.out" 2>&1 ||
			{ fail "$t under $s: exit $?: $(head -c 400 "$TMP/rv.out")"; return 1; }
		cmp -s "${t%.trace}.dump" "$TMP/rv.dump" ||
			{ fail "$t under $s: $(diff "${t%.trace}.dump" "$TMP/rv.dump" | head -8)"; return 1; }
	done
}

seeds() {
	local mode=$1 i s rc
	for i in $(seq 1 "$NSEEDS"); do
		"$GEN" "$i" --nonlinear $mode >"$TMP/g.trace" 2>/dev/null || continue
		"$REVMAP" replay "$TMP/g.trace" --nonlinear --scheme scan --check=full \
			--dump "$TMP/scan.dump" >"$TMP/s.out" 2>&1
		rc=$?
		[ $rc -le 1 ] || { fail "gentrace $i --nonlinear $mode under scan, --check=full: exit $rc: $(head -c 300 "$TMP/s.out")"; return 1; }
		for s in $schemes; do
			[ "$s" = scan ] && continue
			"$REVMAP" replay "$TMP/g.trace" --nonlinear --scheme "$s" --check \
				--dump "$TMP/s.dump" >"$TMP/s.out" 2>&1
			rc=$?
			if [ $rc -gt 1 ] || ! cmp -s "$TMP/scan.dump" "$TMP/s.dump"; then
				fail "gentrace $i --nonlinear $mode under $s: exit $rc: $(head -c 300 "$TMP/s.out") $(diff "$TMP/scan.dump" "$TMP/s.dump" | head -6)"
				return 1
			fi
		done
	done
}

emulated_too() {
	local t
	for t in tests/traces/remap_file_pages*.trace; do
		"$REVMAP" replay "$t" --nonlinear --check=full --dump "$TMP/rv.dump" \
			>"$TMP/rv.out" 2>&1 ||
			{ fail "$t --nonlinear: exit $?: $(head -c 400 "$TMP/rv.out")"; return 1; }
		"$REVMAP" replay "$t" --check --dump "$TMP/rv.dump" >"$TMP/rv.out" 2>&1 &&
			cmp -s "${t%.trace}.dump" "$TMP/rv.dump" ||
			{ fail "$t without --nonlinear is not the kernel's any more"; return 1; }
	done
}

for t in "${traces[@]}"; do
	t "${t#tests/traces/}: every scheme replays it to its dump" handwritten "$t"
done
[ ${#traces[@]} -ge 4 ] && ok "four or more '# needs: nonlinear' traces" ||
	{ why="only ${#traces[@]}"; notok "four or more '# needs: nonlinear' traces"; }
if [ -x "$GEN" ]; then
	t "$NSEEDS gentrace --nonlinear seeds: every scheme gives scan's dump" seeds ""
	t "$NSEEDS gentrace --nonlinear --forks seeds: every scheme gives scan's dump" seeds --forks
fi
t "remap_file_pages traces: 6.x's results without --nonlinear, clean with it" emulated_too

echo "1..$n"
