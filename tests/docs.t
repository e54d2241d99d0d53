#!/usr/bin/env bash
#
# tests/docs.t - the documentation a user reads stays true.  TAP; run by
# prove.  REVMAP_BUILD names the build directory (default build).
#
# What is tested:
#   - docs/trace-format.md names every line kind, mmap and mremap flag and
#     madvise advice of the trace format;
#   - each of its worked examples, a ``` block that starts "revmap-trace 1"
#     right followed by blocks that start "revmap-dump 1", replays to the
#     dump shown (the first dump with --pkeys on, a second with --pkeys off);
#   - README.md links it, and no file a user reads names ../shared (which a
#     clone of the repository does not have);
#   - LICENSE is the BSD 2-Clause licence;
#   - the man page docs/revmap.1 renders without a groff warning, carries
#     the version of revmap, and names every option the help texts name.

set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)

B=${REVMAP_BUILD:-build}
REVMAP=$ROOT/$B/revmap
DOC=$ROOT/docs/trace-format.md
MAN=$ROOT/docs/revmap.1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/docs-t.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

. "$ROOT/tests/tap.sh"

if [ ! -x "$REVMAP" ]; then
	echo "1..0 # SKIP no $B/revmap (run make first)"
	exit 0
fi

# ---------------------------------------------------------------- names

# every line kind, as the tables write its syntax
kinds=('<pid> spawn' '<pid> fork <child>' '<pid> exec' '<pid> exit'
	'file <name> <size> [<seed>]' 'hostfile <name> <path>' 'truncate <name> <size>'
	'fwrite <name> <offset> [<value>]'
	'<pid> mmap <addr> <len> <prot> <flags> [<file> <offset>]' '<pid> munmap <addr> <len>'
	'<pid> mprotect <addr> <len> <prot>'
	'<pid> mremap <addr> <old_len> <new_len> <flags> [<new_addr>]'
	'<pid> madvise <addr> <len> <advice>' '<pid> mlock <addr> <len>'
	'<pid> munlock <addr> <len>' '<pid> brkbase <addr>' '<pid> brk <addr>'
	'<pid> remap_file_pages <addr> <len> <pgoff>' '<pid> r <addr>' '<pid> w <addr> [<value>]'
	'<pid> touch <addr> <len> r\|w [<value>]' '`check`' '`reclaim <pages>`'
	'`compact <order>`' '`swapoff`')
words=(private shared anon fixed noreplace populate locked noreserve
	maymove dontunmap
	normal random sequential willneed dontneed free remove dontfork dofork
	wipeonfork keeponfork cold pageout populate_read populate_write)
names() {
	local k w
	for k in "${kinds[@]}"; do
		grep -qF -- "$k" "$DOC" || { fail "no '$k'"; return 1; }
	done
	for w in "${words[@]}"; do
		grep -qF -- "\`$w\`" "$DOC" || { fail "no \`$w\`"; return 1; }
	done
	for w in oom-killed killed segv bus '-ERRNAME' '[shared-anon]' '[heap]' \
		'0x9E3779B97F4A7C15' '0xcbf29ce484222325' '0x100000001b3' \
		'0x100000000000' '0x200000000000' '--pkeys'; do
		grep -qF -- "$w" "$DOC" || { fail "no '$w'"; return 1; }
	done
}
t "trace-format.md names every line kind, flag, advice and result" names

# ---------------------------------------------------------------- examples

# the ``` blocks of the document, one file each, in order
awk -v dir="$TMP" '
	/^```/ { if (inb) { inb = 0; close(f) } else { inb = 1; f = sprintf("%s/block%03d", dir, ++nb) } next }
	inb { print > f }' "$DOC"

examples() {
	local b trace= nd=0 ntr=0 ndumps=0 pk
	for b in "$TMP"/block*; do
		case $(head -1 "$b") in
		"revmap-trace 1")
			trace=$b
			nd=0
			ntr=$((ntr + 1))
			;;
		"revmap-dump 1")
			[ -n "$trace" ] || continue     # the form of a dump, not an example
			nd=$((nd + 1))
			ndumps=$((ndumps + 1))
			case $nd in
			1) pk=on ;;
			2) pk=off ;;
			*) fail "$(basename "$trace"): more than two dumps"; return 1 ;;
			esac
			"$REVMAP" replay "$trace" --check --pkeys $pk --dump "$b.got" 2>"$b.err" ||
				{ fail "$(basename "$trace"): exit $?: $(head -c 300 "$b.err")"; return 1; }
			diff -u "$b" "$b.got" >"$b.diff" ||
				{ fail "$(basename "$trace") --pkeys $pk: $(head -c 1200 "$b.diff")"; return 1; }
			;;
		*)
			trace=
			;;
		esac
	done
	[ "$ndumps" -ge 5 ] || { fail "only $ndumps example dumps"; return 1; }
	echo "# $ntr example traces replayed to their $ndumps dumps"
}
t "every worked example of trace-format.md replays to the dump it shows" examples

# ---------------------------------------------------------------- links

links() {
	grep -q '(docs/trace-format\.md)' README.md || { fail "README.md does not link docs/trace-format.md"; return 1; }
	local f
	f=$(grep -l '\.\./shared' README.md docs/* include/* cli/* 2>/dev/null | head -3)
	[ -z "$f" ] || { fail "names ../shared: $f"; return 1; }
	"$REVMAP" help replay | grep -q 'docs/trace-format\.md' || { fail "revmap help replay does not name it"; return 1; }
}
t "README.md and revmap help link docs/trace-format.md; nothing names ../shared" links

license() {
	[ -f LICENSE ] || { fail "no LICENSE"; return 1; }
	grep -q '^Copyright (c) 2026 the revmap authors' LICENSE || { fail "no copyright line"; return 1; }
	grep -q 'Redistribution and use in source and binary forms' LICENSE &&
		grep -q 'Redistributions in binary form must reproduce' LICENSE &&
		! grep -q 'endorse or promote' LICENSE || { fail "not the 2-clause text"; return 1; }
	grep -q 'LICENSE' README.md || { fail "README.md does not mention the LICENSE"; return 1; }
}
t "LICENSE is BSD-2-Clause, 2026 the revmap authors; README mentions it" license

# ---------------------------------------------------------------- man page

man_page() {
	local v o
	if command -v groff >/dev/null; then
		groff -man -ww -z "$MAN" >"$TMP/groff.out" 2>&1 || { fail "groff failed: $(head -c 300 "$TMP/groff.out")"; return 1; }
		[ ! -s "$TMP/groff.out" ] || { fail "groff warns: $(head -c 600 "$TMP/groff.out")"; return 1; }
	else
		echo "# no groff: the man page is not rendered"
	fi
	v=$("$REVMAP" --version)
	grep -q "^\.TH REVMAP 1 [0-9]* \"$v\"" "$MAN" || { fail "the .TH line does not say \"$v\""; return 1; }
	for o in $({ "$REVMAP" help replay; "$REVMAP" help bench; "$REVMAP" help sweep;
		     "$REVMAP" help report; "$REVMAP" help capture; "$REVMAP" help; } |
		   grep -oE -- '--[a-z][a-z-]+(=full)?' | sort -u); do
		grep -qF -- "$(printf '%s' "$o" | sed 's/-/\\-/g')" "$MAN" || { fail "the man page does not name $o"; return 1; }
	done
	for o in SYNOPSIS DESCRIPTION COMMANDS OPTIONS '"EXIT STATUS"' FILES EXAMPLES '"SEE ALSO"'; do
		grep -q "^\.SH $o\$" "$MAN" || { fail "no section $o"; return 1; }
	done
}
t "revmap.1 renders without warnings, has its sections, the version and every option" man_page

echo "1..$n"
