#!/usr/bin/env bash
#
# tests/install.t - `make install` and what a user builds on it.  TAP; run by
# prove.  REVMAP_BUILD names the build directory (default build).
#
# What is tested, on an install into a temporary PREFIX (the shipped
# workload traces under share/revmap/workloads included, which the
# installed revmap's suite finds):
#   - every file lands where it should (bin, lib, include, pkg-config, man,
#     doc);
#   - pkg-config finds revmap through PKG_CONFIG_PATH, with the PREFIX and
#     the version of include/revmap.h;
#   - tests/install/hello.c, built with `cc hello.c $(pkg-config --cflags
#     --libs revmap)` against the installed header and library only, runs a
#     trace and writes its dump;
#   - the installed revmap prints its version, and the installed man page
#     renders without warnings (and man finds it under PREFIX);
#   - DESTDIR is prepended to every path while revmap.pc names PREFIX alone;
#     a relative PREFIX is refused; make uninstall removes every file.
#
# Only the build/ build is installed: a library built with ASan needs the
# sanitizer at link time, which revmap.pc does not say.  Without pkg-config
# or a C compiler the test is skipped (make deps installs them).

set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)

B=${REVMAP_BUILD:-build}
CC=${CC:-cc}

skip() { echo "1..0 # SKIP $*"; exit 0; }
[ "$B" = build ] || skip "installs the build/ build only (not $B)"
command -v pkg-config >/dev/null || skip "no pkg-config (make deps installs it)"
command -v "$CC" >/dev/null || skip "no C compiler ($CC)"
[ -x "$ROOT/build/revmap" ] || skip "no build/revmap (run make first)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/install-t.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
P=$TMP/prefix
VERSION=$(sed -n 's/^#define REVMAP_VERSION "\(.*\)"$/\1/p' include/revmap.h)
FILES="bin/revmap lib/librevmap.a include/revmap.h lib/pkgconfig/revmap.pc
       share/man/man1/revmap.1 share/doc/revmap/trace-format.md
       $(cd workloads 2>/dev/null && ls *.trace *.trace.gz *.trace.zst 2>/dev/null |
	 sed 's|^|share/revmap/workloads/|')"

. "$ROOT/tests/tap.sh"

# mk ARGS...: make in the source tree, as a user would run it, without the
# flags and variables of the make that runs this test (SAN=1, a jobserver)
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" --no-print-directory "$@"; }

install_() {
	mk install PREFIX="$P" BUILD=build >"$TMP/install.log" 2>&1 ||
		{ fail "make install failed: $(tail -c 600 "$TMP/install.log")"; return 1; }
	local f
	for f in $FILES; do
		[ -f "$P/$f" ] || { fail "no $P/$f"; return 1; }
	done
	[ -x "$P/bin/revmap" ] || { fail "bin/revmap is not executable"; return 1; }
	cmp -s include/revmap.h "$P/include/revmap.h" && cmp -s docs/revmap.1 "$P/share/man/man1/revmap.1" &&
		cmp -s docs/trace-format.md "$P/share/doc/revmap/trace-format.md" ||
		{ fail "an installed file differs from the source tree's"; return 1; }
}
t "make install PREFIX=DIR puts every file in place" install_

# the installed revmap's suite finds the installed workloads (away from a
# workloads/ directory)
suite_workloads() {
	local first
	first=$(cd workloads 2>/dev/null && ls *.trace *.trace.gz *.trace.zst 2>/dev/null | head -1)
	[ -n "$first" ] || { echo "# no shipped workloads in this tree"; return 0; }
	(cd "$TMP" && "$P/bin/revmap" sweep --jobs --quick --scheme avc --no-host) >"$TMP/jobs" 2>"$TMP/jobs.err" ||
		{ fail "sweep --jobs: $(head -c 300 "$TMP/jobs.err")"; return 1; }
	grep -qF -- "--one $P/share/revmap/workloads/$first " "$TMP/jobs" ||
		{ fail "not the installed $first: $(head -c 300 "$TMP/jobs")"; return 1; }
}
t "the installed revmap's suite runs the installed workloads" suite_workloads

pkgconfig() {
	local got
	export PKG_CONFIG_PATH=$P/lib/pkgconfig
	got=$(pkg-config --modversion revmap 2>&1) || { fail "pkg-config: $got"; return 1; }
	[ "$got" = "$VERSION" ] || { fail "version '$got', revmap.h says '$VERSION'"; return 1; }
	got=$(pkg-config --variable=prefix revmap)
	[ "$got" = "$P" ] || { fail "prefix '$got', expected '$P'"; return 1; }
	got=$(pkg-config --libs revmap | sed 's/ *$//')
	[ "$got" = "-L$P/lib -lrevmap -lm" ] || { fail "libs '$got'"; return 1; }
	got=$(pkg-config --cflags revmap | sed 's/ *$//')
	[ "$got" = "-I$P/include" ] || { fail "cflags '$got'"; return 1; }
}
t "pkg-config revmap: the PREFIX, the version of revmap.h, -lrevmap -lm" pkgconfig

hello() {
	export PKG_CONFIG_PATH=$P/lib/pkgconfig
	# from the temporary directory, so that nothing of the tree is found
	(cd "$TMP" && $CC -std=c11 -Wall -Wextra -Werror -o hello "$ROOT/tests/install/hello.c" \
		$(pkg-config --cflags --libs revmap)) >"$TMP/cc.log" 2>&1 ||
		{ fail "cc failed: $(head -c 800 "$TMP/cc.log")"; return 1; }
	"$TMP/hello" >"$TMP/hello.out" 2>"$TMP/hello.err" ||
		{ fail "hello: exit $?: $(head -c 600 "$TMP/hello.err")"; return 1; }
	grep -qx 'op 6 0x2a' "$TMP/hello.out" &&
		grep -qx 'page 0x100000001000 anon [0-9a-f]\{16\} f1 2' "$TMP/hello.out" ||
		{ fail "hello's dump: $(head -c 600 "$TMP/hello.out")"; return 1; }
	grep -q "^hello: revmap $VERSION: " "$TMP/hello.err" || { fail "hello said: $(cat "$TMP/hello.err")"; return 1; }
}
t "a program built with \$(pkg-config --cflags --libs revmap) replays a trace" hello

version() {
	local got
	got=$("$P/bin/revmap" --version) || { fail "exit $?"; return 1; }
	[ "$got" = "revmap $VERSION" ] || { fail "printed '$got'"; return 1; }
}
t "the installed revmap --version prints 'revmap $VERSION'" version

man_page() {
	if command -v groff >/dev/null; then
		groff -man -ww -z "$P/share/man/man1/revmap.1" >"$TMP/groff.out" 2>&1 &&
			[ ! -s "$TMP/groff.out" ] || { fail "groff: $(head -c 600 "$TMP/groff.out")"; return 1; }
	else
		fail "no groff (make deps installs groff-base)"
		return 1
	fi
	if command -v man >/dev/null; then
		MANWIDTH=80 man -M "$P/share/man" revmap >"$TMP/man.out" 2>"$TMP/man.err" ||
			{ fail "man -M PREFIX/share/man revmap: $(head -c 300 "$TMP/man.err")"; return 1; }
		grep -q 'revmap replay' "$TMP/man.out" || { fail "man printed: $(head -c 300 "$TMP/man.out")"; return 1; }
	else
		echo "# no man: rendered with groff only"
	fi
}
t "the installed man page renders without warnings" man_page

destdir() {
	local D=$TMP/dest f
	mk install DESTDIR="$D" PREFIX=/opt/revmap-test BUILD=build >"$TMP/destdir.log" 2>&1 ||
		{ fail "make install DESTDIR: $(tail -c 600 "$TMP/destdir.log")"; return 1; }
	for f in $FILES; do
		[ -f "$D/opt/revmap-test/$f" ] || { fail "no $D/opt/revmap-test/$f"; return 1; }
	done
	[ ! -e /opt/revmap-test ] || { fail "/opt/revmap-test was written"; return 1; }
	grep -qx 'prefix=/opt/revmap-test' "$D/opt/revmap-test/lib/pkgconfig/revmap.pc" ||
		{ fail "revmap.pc: $(grep prefix= "$D/opt/revmap-test/lib/pkgconfig/revmap.pc")"; return 1; }
	mk uninstall DESTDIR="$D" PREFIX=/opt/revmap-test >>"$TMP/destdir.log" 2>&1 ||
		{ fail "make uninstall DESTDIR: $(tail -c 600 "$TMP/destdir.log")"; return 1; }
	f=$(cd "$D" && find . -type f | head -3)
	[ -z "$f" ] || { fail "left after uninstall: $f"; return 1; }
}
t "DESTDIR is prepended, revmap.pc names PREFIX; uninstall with DESTDIR" destdir

relative() {
	mk install PREFIX=relative/dir BUILD=build >"$TMP/rel.log" 2>&1 && { fail "a relative PREFIX was accepted"; return 1; }
	grep -q 'PREFIX must be an absolute path' "$TMP/rel.log" || { fail "$(tail -c 300 "$TMP/rel.log")"; return 1; }
	[ ! -e "$ROOT/relative" ] || { fail "relative/ was made in the tree"; return 1; }
}
t "a relative PREFIX is refused" relative

uninstall() {
	local f
	mk uninstall PREFIX="$P" >"$TMP/uninstall.log" 2>&1 ||
		{ fail "make uninstall: $(tail -c 600 "$TMP/uninstall.log")"; return 1; }
	for f in $FILES; do
		[ ! -e "$P/$f" ] || { fail "$P/$f is still there"; return 1; }
	done
}
t "make uninstall removes every file" uninstall

echo "1..$n"
