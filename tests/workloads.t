#!/usr/bin/env bash
#
# tests/workloads.t - the shipped traces of real programs (workloads/*.trace.zst,
# *.trace.gz, *.trace) replay with --check and no mismatch under every scheme,
# and every scheme leaves the same final state (the same dump).
# TAP; run by prove.  REVMAP_BUILD names the build directory (default build).
#
# scan (no reverse map: every walk searches every page table) checks a
# workload with --check in time proportional to its faults times the PTEs
# mapped: minutes for python-pool, git-repo and postgres-pgbench.  Those
# three it replays without --check here (their dumps must still equal the
# other schemes'); WORKLOADS_FULL=1 checks them too.  WORKLOAD_SCHEMES
# (a list) limits the schemes, as the sanitizer build of make check does.

set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)

B=${REVMAP_BUILD:-build}
REVMAP=$(cd "$B" 2>/dev/null && pwd)/revmap
TMP=$(mktemp -d "${TMPDIR:-/tmp}/workloads-t.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

. "$ROOT/tests/tap.sh"

if [ ! -x "$REVMAP" ]; then
	echo "1..0 # SKIP no $B/revmap (run make first)"
	exit 0
fi

SCHEMES=${WORKLOAD_SCHEMES:-avc scan vmaoff vmaring anonvma anonlayer astree vmainode mminode ptechain objrmap}
SCHEMES=${SCHEMES//,/ }
SCAN_SLOW="python-pool git-repo postgres-pgbench"

shopt -s nullglob
traces=("$ROOT"/workloads/*.trace.zst "$ROOT"/workloads/*.trace.gz "$ROOT"/workloads/*.trace)
[ ${#traces[@]} -ge 6 ] || { echo "not ok 1 - at least six shipped workloads (found ${#traces[@]})"; echo "1..1"; exit 0; }
ok "at least six shipped workloads (${#traces[@]})"

# one workload under every scheme
workload() {
	local tr=$1 name s first= check
	name=$(basename "$tr")
	name=${name%%.trace*}
	for s in $SCHEMES; do
		check=--check
		if [ "$s" = scan ] && [ -z "${WORKLOADS_FULL:-}" ] && [[ " $SCAN_SLOW " == *" $name "* ]]; then
			check=
		fi
		"$REVMAP" replay "$tr" $check --scheme "$s" --dump "$TMP/$name.$s.dump" \
			>"$TMP/out" 2>"$TMP/err" || { fail "$s: exit $?: $(head -c 500 "$TMP/err")"; return 1; }
		[ -s "$TMP/err" ] && { fail "$s: said: $(head -c 500 "$TMP/err")"; return 1; }
		if [ -z "$first" ]; then
			first=$s
			grep -q '^proc \|^op ' "$TMP/$name.$s.dump" || { fail "$s: an empty dump"; return 1; }
		elif ! cmp -s "$TMP/$name.$first.dump" "$TMP/$name.$s.dump"; then
			fail "$s's dump differs from $first's: $(diff "$TMP/$name.$first.dump" "$TMP/$name.$s.dump" | head -5)"
			return 1
		fi
		rm -f "$TMP/$name.$s.dump.prev"
	done
	rm -f "$TMP/$name".*.dump
}

for tr in "${traces[@]}"; do
	name=$(basename "$tr")
	t "${name%%.trace*}: --check, no mismatch, one final state under ${SCHEMES// /,}" workload "$tr"
done

echo "1..$n"
