#!/usr/bin/env bash
#
# tests/schemes.t - every rmap scheme gives the same machine.  TAP; run by
# prove.  REVMAP_BUILD names the build directory (default build).
#
# The VMA layout is mm/'s (the anonymous identity, mm/anon.c), so no scheme
# may change a result or a line of a dump: a scheme only finds mappings.
# For every registered scheme other than the default (`revmap info` lists
# them):
#   - every scheme-blind t_mm program (tests/t_mm_*.c but t_mm_linux.c,
#     whose asserts only the avc scheme's own structures make true) runs
#     all its scenarios on machines of that scheme;
#   - every hand-written trace of tests/traces/ replays with --check to the
#     dump the kernel made (NAME.dump);
#   - SCHEME_SEEDS (default 80) seeds of each gentrace family (default,
#     --files, --forks) and SCHEME_KIND_SEEDS (default 3) of each hard case
#     (--kind chain, prefork, filemap, filemap --mlock, mremap, mlock, db, db
#     --mlock: gen/hardcase.c, at
#     the sizes difftest.t uses) replay with --check to the dump the
#     default scheme gives, which difftest.t holds to the kernel's.
# TEST_SCHEMES="a b" runs only those schemes.
# Each scheme's --check walks every changed frame with that scheme and
# checks its own structures, so a scheme that misses a mapping fails here.

set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)

B=${REVMAP_BUILD:-build}
REVMAP=$ROOT/$B/revmap
GEN=$ROOT/build/gentrace
[ -x "$GEN" ] || GEN=$ROOT/$B/gentrace
NSEEDS=${SCHEME_SEEDS:-80}
NKINDSEEDS=${SCHEME_KIND_SEEDS:-3}

. "$ROOT/tests/tap.sh"

if [ ! -x "$REVMAP" ]; then
	echo "1..0 # SKIP no $B/revmap (run make first)"
	exit 0
fi
TMP=$(mktemp -d "${TMPDIR:-/tmp}/schemes-t.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

# the schemes after the default: "rmap schemes:     avc (also: linux) scan"
schemes=$("$REVMAP" info | sed -n 's/^rmap schemes: *//p' |
	  sed 's/([^)]*)//g' | tr -s ' ' '\n' | sed 1d)
# TEST_SCHEMES="a b": only these (a scheme's own work in progress)
[ -n "${TEST_SCHEMES:-}" ] && schemes=$TEST_SCHEMES

# the scheme-blind t_mm programs, from their sources, so that one not
# built fails rather than goes unrun
tmms=()
for src in tests/t_mm_*.c; do
	[ "$src" = tests/t_mm_linux.c ] && continue    # runs under avc only
	tmms+=("$(basename "$src" .c)")
done

tmm() {
	local s=$1 prog=$ROOT/$B/t/$2.t
	[ -x "$prog" ] || { fail "no $B/t/$2.t (run make first)"; return 1; }
	"$prog" 1 "$s" >"$TMP/tmm.out" 2>&1 ||
		fail "$(grep -A3 '^not ok' "$TMP/tmm.out" | head -12)"
}

handwritten() {
	local s=$1 t exp opt
	for t in tests/traces/*.trace; do
		exp=${t%.trace}.dump
		[ -f "$exp" ] || continue
		opt=()
		grep -q '^# needs: pkeys' "$t" && opt=(--pkeys=on)
		grep -q '^# needs: nonlinear' "$t" && opt+=(--nonlinear)
		"$REVMAP" replay "$t" "${opt[@]}" --scheme "$s" --check --dump "$TMP/rv.dump" \
			>"$TMP/rv.out" 2>&1 ||
			{ fail "$t: exit $?: $(head -c 400 "$TMP/rv.out")"; return 1; }
		cmp -s "$exp" "$TMP/rv.dump" ||
			{ fail "$t: $(diff "$exp" "$TMP/rv.dump" | head -8)"; return 1; }
	done
}

seeds() {
	local s=$1 mode=$2 count=${3:-$NSEEDS} i
	for i in $(seq 1 "$count"); do
		# the default scheme's dump, made once per seed for all schemes
		local key def
		key=$(printf '%s' "$i $mode" | tr -c 'a-z0-9' '_')
		def=$TMP/def.$key.dump
		"$GEN" "$i" $mode >"$TMP/g.trace" 2>/dev/null || continue
		[ -f "$def" ] || "$REVMAP" replay "$TMP/g.trace" --dump "$def" >/dev/null 2>&1
		"$REVMAP" replay "$TMP/g.trace" --scheme "$s" --check --dump "$TMP/s.dump" \
			>"$TMP/s.out" 2>&1
		local rc=$?
		if [ $rc -gt 1 ] || ! cmp -s "$def" "$TMP/s.dump"; then
			cp "$TMP/g.trace" "$TMP/fail.trace"
			fail "gentrace $i $mode: exit $rc: $(head -c 300 "$TMP/s.out") $(diff "$def" "$TMP/s.dump" | head -6)"
			return 1
		fi
	done
}

for s in $schemes; do
	for prog in "${tmms[@]}"; do
		t "$s: $prog's scenarios" tmm "$s" "$prog"
	done
	t "$s: the hand-written traces give the kernel's dumps, with --check" handwritten "$s"
	if [ -x "$GEN" ]; then
		t "$s: $NSEEDS anonymous seeds as the default scheme, with --check" seeds "$s" ""
		t "$s: $NSEEDS --files seeds as the default scheme, with --check" seeds "$s" --files
		t "$s: $NSEEDS --forks seeds as the default scheme, with --check" seeds "$s" --forks
		for k in chain prefork filemap "filemap --mlock" mremap mlock db "db --mlock"; do
			t "$s: $NKINDSEEDS --kind $k seeds as the default scheme, with --check" \
				seeds "$s" "--kind $k" "$NKINDSEEDS"
		done
	fi
done

echo "1..$n"
