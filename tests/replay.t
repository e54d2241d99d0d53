#!/usr/bin/env bash
#
# tests/replay.t - the revmap command line: `revmap replay`, `revmap info`,
# help, usage errors and messages.
# TAP; run by prove.  REVMAP_BUILD names the build directory (default build).
#
# What is tested:
#   - malformed traces exit 2 with "revmap: FILE:LINE: ..." and run nothing (no dump,
#     no times file is written), for several kinds of errors;
#   - every line kind of the spec runs (remap_file_pages, swapoff included);
#   - a "= result" mismatch exits 1, names the line, and the rest still runs;
#   - --dump writes the spec's canonical form, --times one "LINE NS" per event;
#   - `replay -` reads the trace from stdin: the same dump, messages name
#     <stdin>;
#   - --check passes on busy traces (hand-written and, when the build has it,
#     gentrace's), and `check` lines work;
#   - bad --mem values are rejected with exit 2;
#   - `revmap info` shows a frame descriptor of at most 48 bytes;
#   - `revmap help CMD` and `revmap CMD --help` for every command (exit 0,
#     stdout, every option named), `revmap help` lists the commands,
#     `--version` is one line; usage errors are one "revmap: ..." line on
#     stderr, exit 2; --opt=VALUE is --opt VALUE; every error of a replay
#     starts with "revmap: "; exit statuses 0, 1, 2;
#   - OOM: with a tiny --mem the biggest process is killed (its line reads
#     oom-killed, its later lines killed), exit 0, checkers pass; a fault
#     whose own hole page reclaim keeps freeing ends there too;
#   - reclaim after madvise free, and compact;
#   - swap: a trace that needs more than --mem 4M runs with --swap 16M, checked,
#     and its op lines are those of --mem 1G without swap; with a swapoff at
#     the end the whole dump is; swapoff's -ENOMEM; --fail-swap-io on a write
#     and on a read; bad --swap values and an unwritable $TMPDIR;
#   - --lowmem and --highpte: bad values and combinations; one process that
#     maps a file 64 times in a 128K low zone: under ptechain the pte_chain
#     blocks exhaust it and the process is OOM-killed (stderr says so),
#     under avc nothing fails; --stats has the "lowmem" object; without
#     --lowmem no "lowmem" object.
# Known bugs are TAP TODO tests ("not ok N - ... # TODO bug: ...").

set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)

B=${REVMAP_BUILD:-build}
REVMAP=$(cd "$B" 2>/dev/null && pwd)/revmap
GEN=$(pwd)/$B/gentrace
[ -x "$GEN" ] || GEN=$(pwd)/build/gentrace
TMP=$(mktemp -d "${TMPDIR:-/tmp}/replay-t.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1

. "$ROOT/tests/tap.sh"

if [ ! -x "$REVMAP" ]; then
	echo "1..0 # SKIP no $B/revmap (run make first)"
	exit 0
fi

# replay NAME [OPTIONS...]: runs NAME.trace, output in NAME.out / NAME.err, status in $rc
replay() {
	local name=$1
	shift
	# (in a subshell, so that bash's own "Segmentation fault" goes nowhere)
	( "$REVMAP" replay "$name.trace" "$@" >"$name.out" 2>"$name.err"; exit $? ) 2>/dev/null
	rc=$?
}
# mk NAME: the trace from stdin
mk() { cat >"$1.trace"; }

errtext() { echo "stderr: $(head -c 600 "$1.err")"; }
signalled() { [ "$rc" -ge 128 ] && fail "killed by signal $((rc - 128)); $(errtext "$1")"; }

# ---------------------------------------------------------------- malformed

# bad NAME LINE PATTERN: replay must exit 2, say "revmap: NAME.trace:LINE: " and
# match PATTERN, and run nothing (neither the dump nor the times file appears)
bad() {
	local name=$1 line=$2 pat=$3
	rm -f "$name.dump" "$name.times"
	replay "$name" --dump "$name.dump" --times "$name.times"
	signalled "$name" && return 1
	[ "$rc" -eq 2 ] || { fail "exit $rc, expected 2; $(errtext "$name")"; return 1; }
	grep -q "^revmap: $name\.trace:$line: " "$name.err" ||
		{ fail "no 'revmap: $name.trace:$line: ' message; $(errtext "$name")"; return 1; }
	grep -q -- "$pat" "$name.err" ||
		{ fail "message does not match '$pat'; $(errtext "$name")"; return 1; }
	[ ! -e "$name.dump" ] || { fail "a dump was written: something ran"; return 1; }
	[ ! -e "$name.times" ] || { fail "a times file was written: something ran"; return 1; }
	return 0
}

mk verb <<'EOF'
# line 1 is a comment, line 2 is blank

1 spawn
1 mmap 0x100000000000 4096 rw- private,anon,fixed
1 frobnicate 0x100000000000
EOF
t "malformed: unknown verb, line numbers count comments and blanks" bad verb 5 "expected a verb"

mk prot <<'EOF'
revmap-trace 1
1 spawn
1 mmap 0x100000000000 4096 rwz private,anon,fixed
EOF
t "malformed: bad protection" bad prot 3 "protection"

mk nopid <<'EOF'
1 spawn
2 mmap 0x100000000000 4096 rw- private,anon,fixed
EOF
t "malformed: pid never spawned" bad nopid 2 "live pid"

mk exited <<'EOF'
1 spawn
1 fork 2
2 exit
1 w 0x100000000000
2 r 0x100000000000
EOF
t "malformed: pid used after exit" bad exited 5 "live pid"

mk straddle <<'EOF'
1 spawn
1 mmap 0x100000000000 8192 rw- private,anon,fixed
1 w 0x100000000ffc 1
EOF
t "malformed: access straddling two pages" bad straddle 3 "within one 4096-byte page"

mk badres <<'EOF'
1 spawn
1 mmap 0x100000000000 4096 rw- private,anon,fixed = maybe
EOF
t "malformed: '= result' that is not a result" bad badres 2 "expected a result"

mk badnum <<'EOF'
1 spawn
1 mmap 0x10000000000g 4096 rw- private,anon,fixed
EOF
t "malformed: bad number" bad badnum 2 "expected"

mk short <<'EOF'
1 spawn
1 mmap 0x100000000000 4096
EOF
t "malformed: missing arguments" bad short 2 "end of line"

mk version <<'EOF'
revmap-trace 2
1 spawn
EOF
t "malformed: unknown trace version" bad version 1 "version 1"

mk bothflags <<'EOF'
1 spawn
1 mmap 0 4096 rw- private,shared,anon
EOF
t "malformed: mmap both private and shared" bad bothflags 2 "exactly one of private or shared"

mk extra <<'EOF'
1 spawn
1 r 0x100000000000 0x5
EOF
t "malformed: trailing token" bad extra 2 "expected end of line"

mk late <<'EOF'
1 spawn
1 mmap 0x100000000000 4096 rw- private,anon,fixed
1 w 0x100000000000 7
1 r 0x100000000000 = 0x7
1 madvise 0x100000000000 4096 sideways
EOF
t "malformed: an error on the last line still runs nothing" bad late 5 "advice"

mk badspawn <<'EOF'
1 spawn
1 spawn
EOF
t "malformed: spawn of a live pid" bad badspawn 2 "not live"

# ---------------------------------------------------------------- remap_file_pages

# on private memory remap_file_pages is -EINVAL (it needs a shared mapping)
mk rfp <<'EOF'
1 spawn
1 mmap 0x100000000000 8192 rw- private,anon,fixed
1 remap_file_pages 0x100000000000 8192 1 = -EINVAL
check
EOF
rfp() {
	replay rfp --check
	signalled rfp && return 1
	[ "$rc" -eq 0 ] || { fail "exit $rc; $(errtext rfp)"; return 1; }
}
t "remap_file_pages of private memory is -EINVAL" rfp

# swapoff: without swap nothing is swapped out, and it does nothing
mk swapoff <<'EOF'
1 spawn
1 mmap 0x100000000000 8192 rw- private,anon,fixed
1 w 0x100000000000 0x55
swapoff = ok
1 r 0x100000000000 = 0x55
check
EOF
swapoff() {
	replay swapoff --check
	signalled swapoff && return 1
	[ "$rc" -eq 0 ] || { fail "exit $rc; $(errtext swapoff)"; return 1; }
}
t "swapoff runs (without swap it does nothing)" swapoff

# file and shared mappings run, and the dump says what they did
runs_and_dumps() {
	local name=$1 line=$2
	shift 2
	replay "$name" --check --dump "$name.dump"
	signalled "$name" && return 1
	[ "$rc" -eq 0 ] || { fail "exit $rc; $(errtext "$name")"; return 1; }
	for pat in "$@"; do
		grep -qx -- "$pat" "$name.dump" ||
			{ fail "dump has no line '$pat'"; return 1; }
	done
}

mk file <<'EOF'
file data 8192
1 spawn
1 mmap 0x100000000000 8192 r-- private data 0 = 0x100000000000
1 r 0x100000001008 = 0x201
EOF
t "file lines run (word i of seed 0 is i)" \
	runs_and_dumps file 1 "op 4 0x201"

printf '\x2a\0\0\0\0\0\0\0\x2b' >host.bin
mk hostfile <<EOF
hostfile h $TMP/host.bin
1 spawn
1 mmap 0x100000000000 4096 r-- private h 0
1 r 0x100000000000 = 0x2a
EOF
t "hostfile lines run" runs_and_dumps hostfile 1 "op 4 0x2a"

mk shared <<'EOF'
1 spawn
1 mmap 0x100000000000 4096 rw- shared,anon,fixed
1 fork 2
2 w 0x100000000000 0x99
1 r 0x100000000000 = 0x99
EOF
t "shared anonymous mmap runs (shared with the child)" \
	runs_and_dumps shared 2 "op 5 0x99" \
	"vma 0x100000000000 0x100000001000 rw-s 0x0 \[shared-anon\]"

mk swapoff <<'EOF'
1 spawn
1 mmap 0x100000000000 4096 rw- private,anon,fixed
1 w 0x100000000000 0x77
swapoff = ok
1 r 0x100000000000 = 0x77
EOF
t "swapoff runs (no swap: nothing to bring back, ok)" \
	runs_and_dumps swapoff 4 "op 4 ok" "op 5 0x77"

# ---------------------------------------------------------------- mismatch

mk mismatch <<'EOF'
1 spawn
1 mmap 0x100000000000 4096 rw- private,anon,fixed = 0x100000000000
1 w 0x100000000000 0x11
1 r 0x100000000000 = 0x12
1 r 0x100000000000 = 17
1 w 0x100000000008 0x22 = ok
EOF
mismatch() {
	replay mismatch --dump mismatch.dump
	signalled mismatch && return 1
	[ "$rc" -eq 1 ] || { fail "exit $rc, expected 1; $(errtext mismatch)"; return 1; }
	grep -q '^revmap: mismatch\.trace:4: expected 0x12, got 0x11$' mismatch.err ||
		{ fail "line 4 not reported with expected and actual values; $(errtext mismatch)"; return 1; }
	[ "$(grep -c '^revmap: mismatch\.trace:' mismatch.err)" -eq 1 ] ||
		{ fail "numbers compare by value (17 = 0x11): only line 4 mismatches; $(errtext mismatch)"; return 1; }
	grep -qx 'op 6 ok' mismatch.dump || { fail "the lines after the mismatch did not run"; return 1; }
}
t "a '= result' mismatch exits 1, names the line, runs the rest" mismatch

# ---------------------------------------------------------------- dump

mk dump <<'EOF'
# a comment
revmap-trace 1

1 spawn
1 mmap 0x100000000000 0x3000 rw- private,anon,fixed = 0x100000000000
1 w 0x100000000000 0x2a
1 r 0x100000001000 = 0x0
1 fork 2   # an inline comment
2 r 0x100000000000
2 w 0x100000002000 0x2a
1 mprotect 0x100000001000 0x1000 r--
1 munmap 0x100000005000 0x1000
1 mmap 0x100000010000 0x1000 rw- private,anon,fixed,noreplace
1 mmap 0x100000010000 0x1000 rw- private,anon,fixed,noreplace
2 touch 0x100000000000 0x3000 r
EOF
cat >dump.want <<'EOF'
revmap-dump 1
op 4 ok
op 5 0x100000000000
op 6 ok
op 7 0x0
op 8 ok
op 9 0x2a
op 10 ok
op 11 0
op 12 0
op 13 0x100000010000
op 14 -EEXIST
op 15 ok
proc 1
vma 0x100000000000 0x100000001000 rw-p 0x0 -
vma 0x100000001000 0x100000002000 r--p 0x0 -
vma 0x100000002000 0x100000003000 rw-p 0x0 -
vma 0x100000010000 0x100000011000 rw-p 0x0 -
page 0x100000000000 anon 4a35831dcad5e30f f1 2
page 0x100000001000 zero b93a0c83ce3b6325 z -
proc 2
vma 0x100000000000 0x100000003000 rw-p 0x0 -
page 0x100000000000 anon 4a35831dcad5e30f f1 2
page 0x100000001000 zero b93a0c83ce3b6325 z -
page 0x100000002000 anon 4a35831dcad5e30f f2 1
EOF
dump() {
	replay dump --dump dump.dump
	signalled dump && return 1
	[ "$rc" -eq 0 ] || { fail "exit $rc; $(errtext dump)"; return 1; }
	diff -u dump.want dump.dump >dump.diff ||
		{ fail "dump differs from the expected one: $(head -c 1500 dump.diff)"; return 1; }
}
t "--dump writes the canonical form (header, op lines, proc/vma/page lines)" dump

dump_stdout() {
	replay dump --dump -
	[ "$rc" -eq 0 ] && cmp -s dump.want dump.out ||
		{ fail "exit $rc; --dump - differs from --dump FILE"; return 1; }
}
t "--dump - writes the same dump on stdout" dump_stdout

# `replay -` reads the trace from standard input: the same dump and times
# as from the file, and messages name it <stdin>
dump_stdin() {
	"$REVMAP" replay - --dump dump.stdin.dump --times dump.stdin.times <dump.trace 2>dump.stdin.err
	rc=$?
	[ "$rc" -eq 0 ] || { fail "exit $rc; $(head -c 300 dump.stdin.err)"; return 1; }
	cmp -s dump.want dump.stdin.dump || { fail "the dump from stdin differs from the file's"; return 1; }
	[ "$(awk '{print $1}' dump.stdin.times | tr '\n' ' ')" = "$(grep '^op ' dump.want | awk '{print $2}' | tr '\n' ' ')" ] ||
		{ fail "--times with stdin: $(head -c 200 dump.stdin.times)"; return 1; }
	"$REVMAP" replay - --dump - <dump.trace >dump.stdin.out 2>dump.stdin.err
	rc=$?
	[ "$rc" -eq 0 ] && cmp -s dump.want dump.stdin.out ||
		{ fail "replay - --dump -: exit $rc, or the dump differs"; return 1; }
	printf '1 spawn\n# two\n1 frobnicate\n' | "$REVMAP" replay - --dump x.dump >/dev/null 2>stdin.err
	rc=$?
	[ "$rc" -eq 2 ] || { fail "a bad line on stdin: exit $rc, expected 2"; return 1; }
	grep -q '^revmap: <stdin>:3: expected a verb' stdin.err || { fail "message does not name <stdin>:3: $(head -c 300 stdin.err)"; return 1; }
	[ ! -e x.dump ] || { fail "a dump was written for a bad trace on stdin"; return 1; }
	printf '1 spawn\n1 mmap 0 4096 rw- private,anon = 0x1000\n' | "$REVMAP" replay - >/dev/null 2>stdin.err
	rc=$?
	[ "$rc" -eq 1 ] && grep -qx 'revmap: <stdin>:2: expected 0x1000, got 0x1ffffffff000' stdin.err ||
		{ fail "a mismatch on stdin: exit $rc, $(head -c 300 stdin.err)"; return 1; }
}
t "replay - reads the trace from stdin (--dump, --times, messages name <stdin>)" dump_stdin

dump_shape() {
	# every line of a dump is one of the spec's five forms
	local bad
	bad=$(grep -vnE '^(revmap-dump 1|op [0-9]+ [^ ]+|proc [1-9][0-9]*|vma 0x[0-9a-f]+ 0x[0-9a-f]+ [r-][w-][x-][ps] 0x[0-9a-f]+ [^ ]+|page 0x[0-9a-f]+ (anon|file|shmem|zero) [0-9a-f]{16} (z|f[1-9][0-9]*) ([1-9][0-9]*|-))$' \
		"$1" | head -3)
	[ -z "$bad" ] || { fail "lines not in the spec's form: $bad"; return 1; }
	grep -qE '0x0[0-9a-f]' "$1" && { fail "hex with leading zeroes"; return 1; }
	return 0
}

# ---------------------------------------------------------------- times

times_() {
	replay dump --times dump.times
	[ "$rc" -eq 0 ] || { fail "exit $rc; $(errtext dump)"; return 1; }
	local want got
	want=$(grep '^op ' dump.want | awk '{print $2}' | tr '\n' ' ')
	got=$(awk '{print $1}' dump.times | tr '\n' ' ')
	[ "$want" = "$got" ] || { fail "lines '$got', expected '$want'"; return 1; }
	grep -qvE '^[0-9]+ [0-9]+$' dump.times && { fail "not 'LINE NS': $(grep -vE '^[0-9]+ [0-9]+$' dump.times | head -2)"; return 1; }
	return 0
}
t "--times writes one 'LINE NS' line per event" times_

# ---------------------------------------------------------------- --check

# a busy trace: processes fork, map, split, move, lock and write in a loop
busy_trace() {
	local A=0x100000000000
	echo "1 spawn"
	echo "1 brkbase 0x100040000000"
	echo "1 mmap $A 0x100000 rw- private,anon,fixed"
	for i in $(seq 0 7); do
		local p=$((i + 2)) base=$((0x100000000000 + i * 0x10000))
		echo "1 touch $(printf 0x%x $base) 0x8000 w"
		echo "1 fork $p"
		echo "$p touch $(printf 0x%x $((base + 0x4000))) 0x8000 w"
		echo "$p mprotect $(printf 0x%x $((base + 0x2000))) 0x3000 r--"
		echo "$p mremap $(printf 0x%x $base) 0x2000 0x6000 maymove"
		echo "$p madvise $(printf 0x%x $((base + 0x6000))) 0x2000 dontfork"
		echo "$p mlock $(printf 0x%x $((base + 0x8000))) 0x2000"
		echo "1 mprotect $(printf 0x%x $((base + 0x1000))) 0x1000 r--"
		echo "1 brk $(printf 0x%x $((0x100040000000 + (i + 1) * 0x3000)))"
		echo "1 touch 0x100040000000 $(printf 0x%x $(((i + 1) * 0x3000))) w"
		echo "1 madvise $(printf 0x%x $((base + 0x3000))) 0x1000 free"
		echo "reclaim 4"
		if [ $((i % 2)) -eq 1 ]; then
			echo "$p fork $((p + 10))"
			echo "$((p - 1)) exit"
			echo "$((p + 10)) touch $(printf 0x%x $base) 0x10000 w"
			echo "$((p + 10)) exec"
			echo "$((p + 10)) mmap 0 0x3000 rw- private,anon"
		fi
		echo "check"
	done
	echo "1 munmap $A 0x40000"
	echo "compact 2"
}
busy_trace | mk busy
busy() {
	replay busy --check --dump busy.dump
	signalled busy && return 1
	[ "$rc" -eq 0 ] || { fail "exit $rc; $(errtext busy)"; return 1; }
	[ "$(grep -c '^op ' busy.dump)" -eq "$(grep -cv '^#' busy.trace)" ] ||
		{ fail "not one op line per event"; return 1; }
	grep -q '^op [0-9]* \(killed\|oom-killed\)' busy.dump && { fail "something was killed"; return 1; }
	dump_shape busy.dump
}
t "--check passes on a busy hand-written trace" busy

gen_check() {
	local seed bad=
	[ -x "$GEN" ] || { echo "# no gentrace: only the hand-written trace"; return 0; }
	for seed in 1 2 3 4 5 6 7 8; do
		"$GEN" "$seed" --events 300 >"gen$seed.trace" 2>/dev/null ||
			{ fail "gentrace $seed failed"; return 1; }
		replay "gen$seed" --check --dump "gen$seed.dump"
		signalled "gen$seed" && return 1
		[ "$rc" -eq 0 ] || { fail "seed $seed: exit $rc; $(errtext "gen$seed")"; return 1; }
		dump_shape "gen$seed.dump" || return 1
	done
	return 0
}
t "--check passes on gentrace's traces (seeds 1..8)" gen_check

mk checklines <<'EOF'
check
1 spawn
check = ok
1 mmap 0 0x4000 rw- private,anon
1 touch 0x1ffffffffc000 0x4000 w
1 fork 2
check
2 w 0x1ffffffffc000 5
check
EOF
checklines() {
	replay checklines --dump checklines.dump
	[ "$rc" -eq 0 ] || { fail "exit $rc; $(errtext checklines)"; return 1; }
	[ "$(grep -c '^op [1379] ok$' checklines.dump)" -eq 4 ] ||
		{ fail "check lines do not read ok: $(grep '^op' checklines.dump | tr '\n' ' ')"; return 1; }
}
t "'check' lines run the checkers and read ok" checklines

# ---------------------------------------------------------------- options

badmem() {
	local v
	mk mem <<<'1 spawn'
	for v in 1X 1K 0 -1 "" 12Q 1M5 60K 0x; do
		replay mem --mem "$v"
		signalled mem && return 1
		[ "$rc" -eq 2 ] || { fail "--mem '$v': exit $rc, expected 2"; return 1; }
		grep -q -- "--mem" mem.err || { fail "--mem '$v': message does not name --mem: $(errtext mem)"; return 1; }
	done
	"$REVMAP" replay mem.trace --mem >mem.out 2>mem.err
	[ $? -eq 2 ] || { fail "--mem without a value is not exit 2"; return 1; }
	for v in 64K 1M 0x100000 2G; do
		replay mem --mem "$v"
		[ "$rc" -eq 0 ] || { fail "--mem '$v' refused: exit $rc; $(errtext mem)"; return 1; }
	done
}
t "bad --mem values are rejected with exit 2; good ones accepted" badmem

misc_args() {
	"$REVMAP" replay >o 2>e; [ $? -eq 2 ] || { fail "replay without a trace: not exit 2"; return 1; }
	"$REVMAP" replay mem.trace --frob >o 2>e; [ $? -eq 2 ] || { fail "unknown option: not exit 2"; return 1; }
	"$REVMAP" replay no-such.trace >o 2>e; [ $? -eq 2 ] || { fail "missing trace file: not exit 2"; return 1; }
	grep -q 'no-such.trace' e || { fail "missing trace file not named: $(head -c 300 e)"; return 1; }
	"$REVMAP" frobnicate >o 2>e; [ $? -eq 2 ] || { fail "unknown command: not exit 2"; return 1; }
	return 0
}
t "bad arguments and missing files exit 2" misc_args

info() {
	"$REVMAP" info >info.out 2>info.err || { fail "revmap info failed"; return 1; }
	local b
	b=$(sed -n 's/^frame descriptor: *\([0-9][0-9]*\) bytes$/\1/p' info.out)
	[ -n "$b" ] || { fail "no 'frame descriptor: N bytes' line: $(head -c 300 info.out)"; return 1; }
	[ "$b" -gt 0 ] && [ "$b" -le 48 ] || { fail "frame descriptor is $b bytes, more than 48"; return 1; }
	echo "# frame descriptor: $b bytes"
}
t "revmap info: frame descriptor size at most 48 bytes" info

# ---------------------------------------------------------------- help, usage

# helps CMD WORD...: `revmap help CMD`, `revmap CMD --help` and `-h` exit 0,
# write the same text on stdout and nothing on stderr, and name every WORD
helps() {
	local cmd=$1 w
	shift
	"$REVMAP" help $cmd >help.out 2>help.err || { fail "revmap help $cmd: exit $?"; return 1; }
	[ ! -s help.err ] || { fail "revmap help $cmd wrote on stderr: $(head -c 200 help.err)"; return 1; }
	"$REVMAP" $cmd --help >help2.out 2>help2.err || { fail "revmap $cmd --help: exit $?"; return 1; }
	[ ! -s help2.err ] || { fail "revmap $cmd --help wrote on stderr"; return 1; }
	cmp -s help.out help2.out || { fail "revmap help $cmd and revmap $cmd --help differ"; return 1; }
	"$REVMAP" $cmd -h >help3.out 2>&1 && cmp -s help.out help3.out ||
		{ fail "revmap $cmd -h differs from revmap help $cmd"; return 1; }
	grep -q "^usage: revmap $cmd" help.out || { fail "no 'usage: revmap $cmd' line"; return 1; }
	grep -q "^Examples*:" help.out || { fail "no example"; return 1; }
	for w in "$@"; do
		grep -qF -- "$w" help.out || { fail "the help does not mention '$w'"; return 1; }
	done
	w=$(awk 'length > 79' help.out | head -1)
	[ -z "$w" ] || { fail "a line longer than 79 columns: $w"; return 1; }
}
t "help replay: every option, stdin, the exit statuses, the format's documentation" \
	helps replay --dump --check --check=full --mem --times --stats --scheme --pkeys on off host --nonlinear \
	--fail-alloc --swap --fail-swap-io --lowmem --highpte "TRACE '-'" "standard input" "--mem=64M" \
	avc linux scan vmaoff \
	vmaring anonvma anonlayer astree vmainode mminode ptechain objrmap \
	"  0  " "  1  " "  2  " "  3  " docs/trace-format.md share/doc/revmap/trace-format.md
t "help bench: core, scale, rmap, reclaim and their options" \
	helps bench core scale rmap reclaim --bytes --json --mem --procs --full --scheme --quick \
	"Exit status"
t "help bench: the suite and its options" \
	helps bench --workloads --plots --one --swap --reclaim --counts-only --no-host gnuplot "gen:CASE"
t "help sweep" helps sweep --jobs --run --quick --workloads --scheme --mem --reclaim --no-host \
	--counts-only --json --plots "revmap report" parallel
t "help report" helps report --counts-only --json --plots "DIR|FILE"
t "help info" helps info "frame descriptor"
t "help help" helps help COMMAND

lists() {
	local a c
	for a in help --help -h; do
		"$REVMAP" $a >list.out 2>list.err || { fail "revmap $a: exit $?"; return 1; }
		[ ! -s list.err ] || { fail "revmap $a wrote on stderr"; return 1; }
		for c in replay info bench sweep report help --version; do
			grep -q -- "^ *$c\b" list.out || { fail "revmap $a does not list $c"; return 1; }
		done
	done
	"$REVMAP" help bench >help.out 2>&1
	"$REVMAP" help bench core >list.out 2>&1 && cmp -s list.out help.out ||
		{ fail "revmap help bench core is not the help of bench"; return 1; }
	"$REVMAP" bench core --help >list.out 2>&1 && cmp -s list.out help.out ||
		{ fail "revmap bench core --help is not the help of bench"; return 1; }
}
t "revmap help, --help, -h list the commands" lists

version() {
	"$REVMAP" --version >v.out 2>v.err || { fail "exit $?"; return 1; }
	[ "$(wc -l <v.out)" -eq 1 ] && [ ! -s v.err ] || { fail "not one line: $(head -c 300 v.out)"; return 1; }
	grep -qxE 'revmap [0-9]+\.[0-9]+(\.[0-9]+)?' v.out || { fail "not 'revmap VERSION': $(cat v.out)"; return 1; }
	"$REVMAP" info >info.out || { fail "revmap info failed"; return 1; }
	[ "$(head -1 info.out)" = "$(cat v.out)" ] || { fail "info's first line is not the version"; return 1; }
	[ "$(wc -l <info.out)" -eq 5 ] && grep -q '^rmap schemes: ' info.out ||
		{ fail "revmap info no longer prints its five lines: $(head -c 300 info.out)"; return 1; }
}
t "--version prints exactly one line, the version; info prints what it did" version

# usage ARGS...: exit 2, nothing on stdout, one line on stderr that starts
# with "revmap: " and points at the help
usage() {
	"$REVMAP" "$@" </dev/null >u.out 2>u.err
	local st=$?
	[ "$st" -eq 2 ] || { fail "revmap $*: exit $st, expected 2"; return 1; }
	[ ! -s u.out ] || { fail "revmap $*: wrote on stdout"; return 1; }
	[ "$(wc -l <u.err)" -eq 1 ] && grep -q "^revmap: .*revmap help" u.err ||
		{ fail "revmap $*: stderr is not one 'revmap: ... revmap help' line: $(head -c 300 u.err)"; return 1; }
}
usages() {
	mk u <<<'1 spawn'
	usage || return 1
	usage frobnicate || return 1
	usage --frobnicate || return 1
	usage --version extra || return 1
	usage help frobnicate || return 1
	usage replay || return 1
	usage replay u.trace u.trace || return 1
	usage replay u.trace --frob || return 1
	usage replay u.trace --dump || return 1
	usage replay u.trace --dump= || return 1
	usage replay u.trace --check=half || return 1
	usage replay u.trace --check full || return 1
	usage replay u.trace --pkeys=sometimes || return 1
	usage replay u.trace --fail-alloc many || return 1
	usage replay u.trace --mem=1X || return 1
	usage info extra || return 1
	usage bench --one || return 1
	usage bench --one gen:nosuch || return 1
	usage bench --procs 3 || return 1
	usage bench --reclaim sometimes || return 1
	usage bench --swap 1K || return 1
	usage bench --scheme avc,nosuch || return 1
	usage bench --workloads "$TMP/no such directory" || return 1
	usage bench --jobs || return 1
	usage bench rmap --plots p || return 1
	usage bench core --one gen:chain || return 1
	usage sweep || return 1
	usage sweep --jobs --run || return 1
	usage sweep --jobs extra || return 1
	usage sweep --jobs --mem 1Q || return 1
	usage sweep --jobs --reclaim lru,often || return 1
	usage sweep --jobs --json j.json || return 1
	usage sweep --jobs --one gen:chain || return 1
	usage report || return 1
	usage report --quick . || return 1
	usage bench frobnicate || return 1
	usage bench core --procs=0 || return 1
	usage bench core --procs 4097 || return 1
	usage bench core --bytes 4K || return 1
	usage bench core --json || return 1
	usage bench core --frob || return 1
	usage bench scale --bytes 5M || return 1
	usage bench core --full || return 1
	usage bench core --quick || return 1
	usage bench rmap --scheme avc,nosuch || return 1
	usage bench rmap --scheme avc,scan,avc || return 1
	usage bench rmap --procs 3 || return 1
	usage bench rmap --full || return 1
	usage bench rmap --mem 1Q || return 1
	usage bench reclaim --scheme , || return 1
	usage bench reclaim --mem 4M || return 1
}
t "usage errors: exit 2, one 'revmap: ...' line on stderr, nothing on stdout" usages

# compressed traces (.trace.gz, .trace.zst: issue 13's shipped workloads)
# replay as they are, from a file or standard input; corrupt data is a
# clear error, exit 2
compressed() {
	cp "$ROOT/examples/tour.trace" c.trace
	"$REVMAP" replay c.trace --dump c.dump >/dev/null 2>&1 || { fail "plain"; return 1; }
	gzip -kf c.trace && zstd -qf c.trace -o c.trace.zst ||
		{ fail "cannot compress (gzip, zstd)"; return 1; }
	for f in c.trace.gz c.trace.zst; do
		"$REVMAP" replay "$f" --check --dump z.dump >/dev/null 2>z.err &&
			cmp -s c.dump z.dump || { fail "$f: $(head -c 300 z.err)"; return 1; }
		"$REVMAP" replay - --dump z.dump <"$f" >/dev/null 2>z.err &&
			cmp -s c.dump z.dump || { fail "$f on stdin: $(head -c 300 z.err)"; return 1; }
	done
	head -c 40 c.trace.gz >bad.trace.gz
	"$REVMAP" replay bad.trace.gz >/dev/null 2>z.err
	[ $? = 2 ] && grep -q '^revmap: bad.trace.gz: gzip -dc failed' z.err ||
		{ fail "a corrupt .gz: $(head -c 300 z.err)"; return 1; }
}
t "compressed traces (.gz, .zst) replay as they are; corrupt data exits 2" compressed

# bench rmap --quick: every scheme revmap info lists, in every case's table,
# with every figure; the JSON names them too; a machine too small for a case
# is a clear failure, not a different answer
bench_rmap() {
	local schemes s k n
	"$REVMAP" bench rmap --quick --json br.json >br.out 2>br.err ||
		{ fail "exit $?: $(head -c 300 br.err)"; return 1; }
	schemes=$("$REVMAP" info | sed -n 's/^rmap schemes: //p' | sed 's/ (also: [^)]*)//')
	[ -n "$schemes" ] || { fail "no schemes in revmap info"; return 1; }
	for k in chain prefork filemap filemap-mlock mremap mlock; do
		grep -q "^$k: [0-9]* processes" br.out || { fail "no $k table"; return 1; }
		for s in $schemes; do
			n=$(awk -v k="$k:" -v s="$s" '$1 == k { on = 1; next } /^$/ { on = 0 }
				on && $1 == s { print NF }' br.out)
			[ "$n" = 12 ] || { fail "$k: scheme $s has ${n:-no} fields, not 12"; return 1; }
			grep -q "\"scheme\": \"$s\"" br.json || { fail "br.json lacks scheme $s"; return 1; }
		done
	done
	[ "$(grep -c '"kind": ' br.json)" = 6 ] || { fail "br.json lacks cases"; return 1; }
	# mlock without chains: ptechain keeps counts where every mapping is locked
	grep -q '^  ptechain: mlock kept up to [1-9][0-9]* PTEs as counts' br.out ||
		{ fail "no mlock line for ptechain"; return 1; }
	grep -q '"mlock_bytes_saved_peak": [1-9]' br.json ||
		{ fail "br.json has no bytes saved by mlock"; return 1; }
	grep -q '^host memory: [0-9]* MiB' br.out || { fail "no host memory line"; return 1; }
	"$REVMAP" bench rmap --quick --mem 2M >br.out 2>br.err
	[ $? = 1 ] && grep -q "ran out of memory.*give a bigger --mem" br.err ||
		{ fail "--mem 2M: not a clear failure: $(tail -c 300 br.err)"; return 1; }
}
t "bench rmap --quick: every scheme in every case, JSON, a too-small machine refused" bench_rmap

# bench reclaim --quick: every scheme under both policies in every case,
# with swap in use; the JSON holds every run
bench_reclaim() {
	local schemes s k p n
	"$REVMAP" bench reclaim --quick --json brc.json >brc.out 2>brc.err ||
		{ fail "exit $?: $(head -c 300 brc.err)"; return 1; }
	[ ! -s brc.err ] || { fail "wrote on stderr: $(head -c 300 brc.err)"; return 1; }
	schemes=$("$REVMAP" info | sed -n 's/^rmap schemes: //p' | sed 's/ (also: [^)]*)//')
	for k in chain prefork filemap mremap mlock; do
		grep -q "^$k: [0-9]* processes" brc.out || { fail "no $k table"; return 1; }
		for s in $schemes; do
			for p in lru virtual; do
				n=$(awk -v k="$k:" -v s="$s" -v p="$p" '$1 == k { on = 1; next }
					/^$/ || /^high-order:/ { on = 0 }
					on && $1 == s && $2 == p { print NF }' brc.out)
				[ "$n" = 10 ] || { fail "$k: $s $p has ${n:-no} fields, not 10"; return 1; }
			done
		done
	done
	# the high-order runs: prefork, filemap and mremap, each scheme with
	# both kinds of eviction
	for k in prefork filemap mremap; do
		for s in $schemes; do
			for p in lru targeted; do
				n=$(awk -v k="$k:" -v s="$s" -v p="$p" '$1 == k { on = 1; next }
					/^high-order:/ && on { ho = 1; next } /^$/ { on = 0; ho = 0 }
					ho && $1 == s && $2 == p { print NF }' brc.out)
				[ "$n" = 9 ] ||
					{ fail "$k high-order: $s $p has ${n:-no} fields, not 9"; return 1; }
			done
		done
	done
	[ "$(grep -c '"evict": ' brc.json)" -eq $((3 * 2 * $(echo $schemes | wc -w))) ] ||
		{ fail "brc.json does not hold every high-order run"; return 1; }
	# the machine of 2003: db with and without --mlock, two low zones
	grep -q '^the machine of 2003: db' brc.out || { fail "no machine of 2003"; return 1; }
	for s in $schemes; do
		[ "$(awk -v s="$s" '/^the machine of 2003/ { on = 1; next } /^$/ { on = 0 }
			on && $1 == s && NF == 7 { n++ } END { print n + 0 }' brc.out)" = 4 ] ||
			{ fail "machine of 2003: $s has not 4 rows of 7 fields"; return 1; }
	done
	[ "$(grep -c '"lowmem_bytes": ' brc.json)" -eq $((4 * $(echo $schemes | wc -w))) ] ||
		{ fail "brc.json does not hold every run of the machine of 2003"; return 1; }
	[ "$(grep -c '"policy": ' brc.json)" -eq $((5 * 2 * $(echo $schemes | wc -w))) ] ||
		{ fail "brc.json does not hold every run"; return 1; }
	awk '$2 == "lru" && $8 > 0 { found = 1 } END { exit !found }' brc.out ||
		{ fail "nothing was swapped out"; return 1; }
}
t "bench reclaim --quick: every scheme and policy in every case, swapping, JSON" bench_reclaim

# --scheme LIST: only those schemes, in that order, in both benchmarks
bench_subset() {
	"$REVMAP" bench rmap --quick --scheme mminode,linux >bs.out 2>bs.err ||
		{ fail "rmap: exit $?: $(head -c 300 bs.err)"; return 1; }
	[ "$(awk '/^chain:/ { on = 1; next } /^$/ { on = 0 } on && NR > 1 { print $1 }' bs.out |
	     tr '\n' ' ')" = "scheme mminode avc " ] ||
		{ fail "rmap: the chain's rows are not mminode then avc: $(head -12 bs.out)"; return 1; }
	grep -q "^revmap bench rmap --quick: 2 schemes" bs.out || { fail "rmap: header"; return 1; }
	"$REVMAP" bench reclaim --quick --scheme scan >bs.out 2>bs.err ||
		{ fail "reclaim: exit $?: $(head -c 300 bs.err)"; return 1; }
	[ "$(awk '$1 == "scan" || $1 == "avc"' bs.out | awk '{ print $1 }' | sort -u)" = scan ] ||
		{ fail "reclaim: rows other than scan's"; return 1; }
}
t "bench rmap and bench reclaim --scheme LIST: those schemes only, in that order" bench_subset

# --opt=VALUE is --opt VALUE
opt_equals() {
	printf '1 spawn\n1 mmap 0x100000000000 0x2000 rw- private,anon\n1 w 0x100000000000 7\n' | mk eq
	"$REVMAP" replay eq.trace --dump eq.1.dump --times eq.1.times --mem 64K --scheme linux \
		--pkeys off --fail-alloc 0 2>eq.err || { fail "exit $?: $(head -c 300 eq.err)"; return 1; }
	"$REVMAP" replay --dump=eq.2.dump --times=eq.2.times --mem=64K --scheme=avc \
		--pkeys=off --fail-alloc=0 eq.trace 2>eq.err || { fail "exit $?: $(head -c 300 eq.err)"; return 1; }
	cmp -s eq.1.dump eq.2.dump || { fail "the dumps differ"; return 1; }
	[ -s eq.2.times ] || { fail "--times=FILE wrote nothing"; return 1; }
	"$REVMAP" replay eq.trace --mem=64K --fail-alloc=1 --dump=eq.3.dump 2>eq.err &&
		grep -qx 'op 1 oom-killed' eq.3.dump || { fail "--fail-alloc=1 did not fail the first allocation"; return 1; }
}
t "--opt=VALUE works as --opt VALUE (and --scheme avc is linux)" opt_equals

# every error of a replay is a line that starts with "revmap: "
errors_prefixed() {
	local name st
	mk e_parse <<<'1 frobnicate'
	mk e_mismatch <<<'1 spawn = 0x5'
	mk e_host <<<'hostfile h /nonexistent/revmap-test'
	mk e_big <<<'file big 0x200000'
	mk e_ok <<<'1 spawn'
	for name in e_parse e_mismatch e_host e_big; do
		# e_big: a file larger than the machine needs its backing store,
		# which cannot be made here
		TMPDIR=/nonexistent/revmap "$REVMAP" replay $name.trace --mem 1M >$name.out 2>$name.err
		[ -s $name.err ] || { fail "$name: no message"; return 1; }
		grep -qv '^revmap: ' $name.err && { fail "$name: $(errtext $name)"; return 1; }
		grep -q "^revmap: $name\.trace:1: " $name.err || { fail "$name: no FILE:LINE: $(errtext $name)"; return 1; }
	done
	"$REVMAP" replay no-such.trace 2>e.err
	grep -q '^revmap: no-such\.trace: cannot open' e.err || { fail "missing trace: $(cat e.err)"; return 1; }
	"$REVMAP" replay e_ok.trace --dump /nonexistent/x.dump 2>e.err
	st=$?
	[ $st -eq 2 ] && grep -q '^revmap: cannot write /nonexistent/x.dump' e.err ||
		{ fail "unwritable dump: exit $st, $(cat e.err)"; return 1; }
	"$REVMAP" replay e_ok.trace --times /nonexistent/x.times 2>e.err
	st=$?
	[ $st -eq 2 ] && grep -q '^revmap: cannot write /nonexistent/x.times' e.err ||
		{ fail "unwritable times: exit $st, $(cat e.err)"; return 1; }
	"$REVMAP" replay e_ok.trace --scheme frob 2>e.err
	st=$?
	[ $st -eq 2 ] && grep -q "^revmap: unknown rmap scheme 'frob'" e.err ||
		{ fail "unknown scheme: exit $st, $(cat e.err)"; return 1; }
}
t "errors start with 'revmap: ' (trace, mismatch, host file, memory, files, scheme)" errors_prefixed

statuses() {
	local want st
	mk s0 <<<'1 spawn = ok'
	mk s1 <<<'1 spawn = 0'
	mk s2 <<<'1 spawn = what'
	for want in 0 1 2; do
		"$REVMAP" replay s$want.trace --check 2>/dev/null
		st=$?
		[ $st -eq $want ] || { fail "s$want.trace: exit $st, expected $want"; return 1; }
	done
}
t "exit status 0 matched, 1 mismatch, 2 bad input" statuses

# ---------------------------------------------------------------- OOM

# 1 MiB = 256 frames.  Process 2 holds 192 pages; process 1 then touches 64
# more: memory runs out during 1's touch, the biggest process (2) is killed,
# 1's touch completes.
mk oom_other <<'EOF'
1 spawn
2 spawn
2 mmap 0x100000000000 0xc0000 rw- private,anon,fixed
2 touch 0x100000000000 0xc0000 w = ok
1 mmap 0x100000000000 0x40000 rw- private,anon,fixed
1 touch 0x100000000000 0x40000 w = ok
2 r 0x100000000000 = killed
2 mmap 0 4096 rw- private,anon = killed
1 r 0x10000003f000 = 0x6
check
EOF
oom_other() {
	replay oom_other --mem 1M --check --dump oom_other.dump
	signalled oom_other && return 1
	[ "$rc" -eq 0 ] || { fail "exit $rc; $(errtext oom_other)"; return 1; }
	grep -q '^proc 2' oom_other.dump && { fail "process 2 is still in the dump"; return 1; }
	grep -q '^proc 1$' oom_other.dump || { fail "process 1 is not in the dump"; return 1; }
	[ "$(grep -c '^page ' oom_other.dump)" -eq 64 ] || { fail "process 1 should have 64 pages"; return 1; }
	[ "$(grep -c 'Out of memory' oom_other.err)" -eq 1 ] &&
	grep -q '^revmap: oom_other.trace:6: Out of memory: Killed process 2, rss 192 pages (768kB)' oom_other.err ||
		{ fail "no kernel-like OOM line for pid 2 at line 6: $(errtext oom_other)"; return 1; }
	dump_shape oom_other.dump
}
t "OOM: the biggest process is killed (and stderr says so), the faulting line completes" oom_other

# One process touching more than the machine has: it is the biggest, so its
# own line reads oom-killed; its later lines read killed; others go on.
mk oom_self <<'EOF'
2 spawn
2 mmap 0x100000000000 0x4000 rw- private,anon,fixed
2 touch 0x100000000000 0x4000 w
1 spawn
1 mmap 0x100000000000 0x180000 rw- private,anon,fixed,noreserve
1 touch 0x100000000000 0x180000 w
1 r 0x100000000000
1 fork 3
2 r 0x100000003000
2 fork 4
4 w 0x100000000000 9
check
EOF
oom_self() {
	replay oom_self --mem 1M --check --dump oom_self.dump
	signalled oom_self && return 1
	[ "$rc" -eq 0 ] || { fail "exit $rc; $(errtext oom_self)"; return 1; }
	local got
	got=$(grep '^op ' oom_self.dump | tr '\n' ' ')
	[ "$got" = "op 1 ok op 2 0x100000000000 op 3 ok op 4 ok op 5 0x100000000000 op 6 oom-killed op 7 killed op 8 killed op 9 0x3 op 10 ok op 11 ok op 12 ok " ] ||
		{ fail "results: $got"; return 1; }
	grep -q '^proc 1$' oom_self.dump && { fail "process 1 is still in the dump"; return 1; }
	grep -q '^proc 4$' oom_self.dump || { fail "process 4 missing"; return 1; }
	dump_shape oom_self.dump
}
t "OOM: the faulting process itself is killed: oom-killed, then killed" oom_self

# A copy-on-write fault on a file hole page while memory is full: the fault
# allocates the (clean) hole page, fails to get the anonymous copy, and
# leaves the hole page in the cache; reclaim frees exactly that page, the
# retry allocates it again...  Reclaim is retried a bounded number of times
# (as the page allocator's should_reclaim_retry), then the OOM killer takes
# the biggest process (2, all locked shared memory) and the write completes.
# (Found by fuzzing; it looped forever.)
mk oom_reclaim_loop <<'EOF'
file f 4096
truncate f 0x100000
1 spawn
1 mmap 0x100000000000 0x10000 rw- private f 0
1 r 0x100000005000 = 0
2 spawn
2 mmap 0x100000100000 0x200000 rw- shared,anon,fixed,locked
1 w 0x100000005000 = ok
2 r 0x100000100000 = killed
check
EOF
oom_reclaim_loop() {
	( timeout 60 "$REVMAP" replay oom_reclaim_loop.trace --mem 1M --check \
		--dump oom_reclaim_loop.dump >oom_reclaim_loop.out 2>oom_reclaim_loop.err; exit $? ) 2>/dev/null
	rc=$?
	[ "$rc" -ne 124 ] || { fail "still looping after 60 s"; return 1; }
	signalled oom_reclaim_loop && return 1
	[ "$rc" -eq 0 ] || { fail "exit $rc; $(errtext oom_reclaim_loop)"; return 1; }
	grep -q '^proc 2' oom_reclaim_loop.dump && { fail "process 2 is still in the dump"; return 1; }
	dump_shape oom_reclaim_loop.dump
}
t "OOM: a fault whose hole page reclaim keeps freeing ends in the OOM killer" oom_reclaim_loop

# ---------------------------------------------------------------- reclaim, compact

mk reclaim <<'EOF'
1 spawn
1 mmap 0x100000000000 0x8000 rw- private,anon,fixed
1 touch 0x100000000000 0x8000 w
1 madvise 0x100000000000 0x8000 free = 0
1 w 0x100000007000 0x77
reclaim 100 = 7
reclaim 100 = 0
1 r 0x100000000000 = 0x0
1 r 0x100000007000 = 0x77
compact 3 = ok
compact 10 = ok
compact 11 = -ENOMEM
check
EOF
reclaim() {
	replay reclaim --check --dump reclaim.dump
	signalled reclaim && return 1
	[ "$rc" -eq 0 ] || { fail "exit $rc; $(errtext reclaim)"; return 1; }
	grep -qx 'page 0x100000000000 zero b93a0c83ce3b6325 z -' reclaim.dump ||
		{ fail "the reclaimed page does not read as the zero page"; return 1; }
}
t "reclaim after madvise free frees the clean pages; compact 3 ok" reclaim

# a file four times the machine, written through a shared mapping and with
# fwrite, read back: its dirty pages go to the file's backing store and
# return; every op line is what a 1G machine gives
bigfile() {
	local i a
	{
		echo 'file f 0x1000000'
		echo '1 spawn'
		echo '1 mmap 0x100000000000 0x1000000 rw- shared f 0 = 0x100000000000'
		for ((i = 0; i < 1500; i++)); do
			a=$(( (i * 2654435761) % 0x1000000 & ~7 ))
			case $((i % 5)) in
			0) printf '1 w %#x %#x\n' $((0x100000000000 + a)) $((i * 77)) ;;
			1) printf 'fwrite f %#x %#x\n' $a $((i * 91)) ;;
			*) printf '1 r %#x\n' $((0x100000000000 + a)) ;;
			esac
		done
		echo '1 touch 0x100000000000 0x1000000 r'
		echo 'truncate f 0x800123'
		echo '1 touch 0x100000000000 0x800000 r'
		echo 'truncate f 0x1000000'
		echo '1 touch 0x100000000000 0x1000000 r'
	} >bigfile.trace
	"$REVMAP" replay bigfile.trace --mem 4M --check --dump bigfile.small.dump --stats bigfile.json \
		2>bigfile.err || { fail "--mem 4M: exit $?: $(head -c 300 bigfile.err)"; return 1; }
	"$REVMAP" replay bigfile.trace --dump bigfile.big.dump 2>bigfile.err ||
		{ fail "--mem 1G: exit $?: $(head -c 300 bigfile.err)"; return 1; }
	cmp -s <(grep '^op ' bigfile.small.dump) <(grep '^op ' bigfile.big.dump) ||
		{ fail "op lines differ: $(diff <(grep '^op ' bigfile.small.dump) <(grep '^op ' bigfile.big.dump) | head -5)"; return 1; }
	grep -q '"writebacks": [1-9]' bigfile.json || { fail "nothing was written back"; return 1; }
	grep -q '"unmap": [1-9]' bigfile.json || { fail "no unmap walks"; return 1; }
	grep -q '"kswapd_runs": [1-9]' bigfile.json || { fail "kswapd never ran"; return 1; }
}
t "a file 4x the machine: written back to its store and read again, every op line as on 1G" bigfile

# compaction that must move pages: fill 1 MiB, free every other page
compact_trace() {
	echo "1 spawn"
	echo "1 mmap 0x100000000000 0xf0000 rw- private,anon,fixed"
	echo "1 touch 0x100000000000 0xf0000 w"
	for i in $(seq 0 2 239); do
		echo "1 munmap $(printf 0x%x $((0x100000000000 + i * 4096))) 4096"
	done
	echo "compact 3 = ok"
	echo "1 r 0x100000001000 = 0x3"
	echo "1 r 0x1000000ef000 = 0x3"
	echo "check"
}
compact_trace | mk compact
compact() {
	replay compact --mem 1M --check
	signalled compact && return 1
	[ "$rc" -eq 0 ] || { fail "exit $rc; $(errtext compact)"; return 1; }
}
t "compact 3 migrates pages out of a fragmented 1 MiB machine" compact

# ---------------------------------------------------------------- known bugs

# A spawn that cannot get memory, with nobody to kill: the pid never lives,
# and its later lines must read killed (not crash on its missing mm).
mk spawnfail <<'EOF'
1 spawn
1 mmap 0x100000000000 4096 rw- private,anon,fixed
1 w 0x100000000000 1
EOF
spawnfail() {
	replay spawnfail --fail-alloc 1 --dump spawnfail.dump
	signalled spawnfail && return 1
	[ "$rc" -eq 0 ] || { fail "exit $rc; $(errtext spawnfail)"; return 1; }
	grep -qx 'op 1 oom-killed' spawnfail.dump && grep -qx 'op 2 killed' spawnfail.dump ||
		{ fail "$(tr '\n' ' ' <spawnfail.dump)"; return 1; }
}
t "a failed spawn: later lines of the pid read killed" spawnfail

# fork with memory exactly full (256 frames: the zero page, 4 page tables,
# 4 slabs of kernel objects: VMAs, mms, anon_vmas, their chains, 243
# pages, and the 4 frames below the min watermark, 1/64 of memory): the OOM
# killer kills the parent (the biggest); the child never lives, and its
# lines must not crash.
{
	echo "1 spawn"
	echo "1 mmap 0x100000000000 0x100000 rw- private,anon,fixed"
	echo "1 touch 0x100000000000 $((243 * 4096)) w"
	echo "1 fork 2"
	echo "2 r 0x100000000000"
	echo "check"
} | mk forkfail
forkfail() {
	replay forkfail --mem 1M --check --dump forkfail.dump
	signalled forkfail && return 1
	[ "$rc" -eq 0 ] || { fail "exit $rc; $(errtext forkfail)"; return 1; }
	grep -qx 'op 4 oom-killed' forkfail.dump && grep -qx 'op 5 killed' forkfail.dump ||
		{ fail "$(tr '\n' ' ' <forkfail.dump)"; return 1; }
}
t "a fork that OOM-kills its parent: the child's lines read killed" forkfail

# a fork by a process that was OOM-killed earlier: the fork line reads
# killed, and the child pid, live as far as the parser knows, has an old
# (exited) entry with no mm; its lines must read killed too.
mk killedfork <<'EOF'
2 spawn
2 exit
1 spawn
1 mmap 0x100000000000 0x100000 rw- private,anon,fixed
1 touch 0x100000000000 0x100000 w
1 fork 2
2 r 0x100000000000
check
EOF
killedfork() {
	replay killedfork --mem 1M --check --dump killedfork.dump
	signalled killedfork && return 1
	[ "$rc" -eq 0 ] || { fail "exit $rc; $(errtext killedfork)"; return 1; }
	local got
	got=$(grep '^op [5-7] ' killedfork.dump | tr '\n' ' ')
	[ "$got" = "op 5 oom-killed op 6 killed op 7 killed " ] || { fail "results: $got"; return 1; }
}
t "a fork by an OOM-killed process: the child's lines read killed" killedfork

# exec whose new address space cannot be allocated: the OOM killer looks at
# the execing process, alive but with no mm yet.
mk execfail <<'EOF'
1 spawn
2 spawn
2 exec
2 mmap 0x100000000000 4096 rw- private,anon,fixed
EOF
execfail() {
	replay execfail --fail-alloc 5 --dump execfail.dump
	signalled execfail && return 1
	[ "$rc" -eq 0 ] || { fail "exit $rc; $(errtext execfail)"; return 1; }
}
t "an exec that cannot allocate its new address space does not crash" execfail

# reclaim before the OOM killer: lazily freed pages go first, nobody dies
mk oomreclaim <<'EOF'
1 spawn
1 mmap 0x100000000000 0x80000 rw- private,anon
1 touch 0x100000000000 0x80000 w
1 madvise 0x100000000000 0x80000 free
2 spawn
2 mmap 0x100000000000 0x80000 rw- private,anon
2 touch 0x100000000000 0x80000 w = ok
1 r 0x100000000000 = 0
2 r 0x100000000000 = 7
check
EOF
oomreclaim() {
	replay oomreclaim --mem 1M --check --dump oomreclaim.dump
	signalled oomreclaim && return 1
	[ "$rc" -eq 0 ] || { fail "exit $rc; $(errtext oomreclaim)"; return 1; }
	grep -q 'killed' oomreclaim.dump && { fail "something was killed"; return 1; }
	return 0
}
t "OOM: reclaim of lazily freed pages comes before the OOM killer" oomreclaim

# ---------------------------------------------------------------- hostfile

# a host file is read on demand and never written: reads through a mapping
# see its bytes, a private write copies, a shared writable mapping, fwrite
# and truncate are refused, and the host file is unchanged afterwards
printf 'ABCDEFGH%4088s12345678' x > host.bin
cp host.bin host.orig
mk hostfile <<EOF
hostfile h $PWD/host.bin
1 spawn
1 mmap 0x100000000000 0x3000 r-- private h 0 = 0x100000000000
1 r 0x100000000000 = 0x4847464544434241
1 r 0x100000001000 = 0x3837363534333231
1 mmap 0x100000100000 0x2000 rw- private h 0 = 0x100000100000
1 w 0x100000100000 0x1111 = ok
1 r 0x100000100000 = 0x1111
1 r 0x100000000000 = 0x4847464544434241
1 mmap 0x100000200000 0x1000 rw- shared h 0 = -EACCES
1 mmap 0x100000200000 0x1000 r-- shared h 0 = 0x100000200000
1 mprotect 0x100000200000 0x1000 rw- = -EACCES
1 r 0x100000002000 = bus
fwrite h 0 = -EBADF
truncate h 0 = -EINVAL
check
EOF
hostfile() {
	replay hostfile --check --dump hostfile.dump
	signalled hostfile && return 1
	[ "$rc" -eq 0 ] || { fail "exit $rc; $(errtext hostfile)"; return 1; }
	cmp -s host.bin host.orig || { fail "the host file changed"; return 1; }
	grep -q '^vma 0x100000000000 0x100000003000 r--p 0x0 h$' hostfile.dump ||
		{ fail "no vma line for h: $(grep ^vma hostfile.dump | tr '\n' ' ')"; return 1; }
}
t "hostfile: read on demand, private writes copy, never written back" hostfile

mk nohost <<'EOF'
revmap-trace 1
1 spawn
hostfile h /nonexistent/revmap-test-file
1 mmap 0 0x1000 r-- private h 0
EOF
t "hostfile: a path that cannot be read rejects the trace at its line" bad nohost 3 "cannot read host file"

mk pkeys <<'EOF'
revmap-trace 1
1 spawn
1 mmap 0x100000000000 0x2000 --x private,anon
1 r 0x100000000000
EOF
pkeys() {
	local v want
	for v in on off host; do
		replay pkeys --pkeys "$v" --check --dump pkeys.$v.dump
		[ "$rc" -eq 0 ] || { fail "--pkeys $v: exit $rc; $(errtext pkeys)"; return 1; }
	done
	grep -qx 'op 4 segv' pkeys.on.dump || { fail "--pkeys on: an exec-only read is not segv"; return 1; }
	grep -qx 'op 4 0x0' pkeys.off.dump || { fail "--pkeys off: an exec-only read does not read 0"; return 1; }
	want=off
	grep -qw ospke /proc/cpuinfo 2>/dev/null && want=on
	cmp -s pkeys.host.dump pkeys.$want.dump || { fail "--pkeys host does not follow this CPU ($want)"; return 1; }
	replay pkeys --pkeys=sometimes
	[ "$rc" -eq 2 ] && grep -q -- '--pkeys' pkeys.err || { fail "a bad --pkeys value: exit $rc; $(errtext pkeys)"; return 1; }
}
t "--pkeys on/off/host: exec-only memory refuses reads exactly with protection keys" pkeys

mk stats <<'EOF'
1 spawn
1 mmap 0x100000000000 0x8000 rw- private,anon
1 touch 0x100000000000 0x8000 w
1 fork 2
1 fork 3
1 madvise 0x100000000000 0x4000 free
2 madvise 0x100000000000 0x4000 free
3 madvise 0x100000000000 0x4000 free
reclaim 100
EOF
stats() {
	local s
	for s in avc scan; do
		replay stats --scheme "$s" --check --stats stats.$s.json
		[ "$rc" -eq 0 ] || { fail "--scheme $s: exit $rc; $(errtext stats)"; return 1; }
	done
	python3 - stats.avc.json stats.scan.json <<'PY' || { fail "$(cat py.err)"; return 1; }
import json, sys
a, s = (json.load(open(f)) for f in sys.argv[1:3])
keys = ["scheme", "rmap_bytes", "rmap_bytes_peak", "rmap_objects", "metadata_frames",
        "walks", "walk_vmas_visited", "walk_ptes_probed", "walk_ptes_found", "walk_fallbacks"]
err = [k for k in keys if k not in a or k not in s]
if err: sys.exit(open("py.err", "w").write("missing keys %s" % err))
if (a["scheme"], s["scheme"]) != ("avc", "scan"): sys.exit(open("py.err", "w").write("schemes"))
# the same walks find the same PTEs, whatever the scheme; scan probes more
if a["walks"] == 0 or a["walks"] != s["walks"] or a["walk_ptes_found"] != s["walk_ptes_found"]:
    sys.exit(open("py.err", "w").write("walks %s/%s found %s/%s" % (a["walks"], s["walks"],
             a["walk_ptes_found"], s["walk_ptes_found"])))
if not (a["walk_ptes_found"] <= a["walk_ptes_probed"] <= s["walk_ptes_probed"]):
    sys.exit(open("py.err", "w").write("probed"))
if s["rmap_bytes"] != 0 or a["rmap_bytes"] == 0 or a["rmap_objects"].get("anon_vma", 0) == 0:
    sys.exit(open("py.err", "w").write("bytes/objects %s %s" % (a["rmap_bytes"], s["rmap_bytes"])))
if a["rmap_bytes_peak"] < a["rmap_bytes"]: sys.exit(open("py.err", "w").write("peak"))
PY
	"$REVMAP" replay stats.trace --stats - >stats.out 2>&1 && grep -q '"scheme": "avc"' stats.out ||
		{ fail "--stats - does not write to standard output"; return 1; }
}
t "--stats: the JSON, and the same walks find the same PTEs under every scheme" stats

# ---------------------------------------------------------------- swap

# a trace that needs 2.5 times the 4M machine: two processes of 5M each
# (shared after fork, then copied), moves, protections, holes, an exec;
# every `r` reads the last value written, so the op lines say it all
awk 'BEGIN {
	A = 17592186044416; n = 1280          # 0x100000000000, 5 MiB of pages (%.0f: in mawk, %x
	                                      # and %d stop at 32 bits)
	print "1 spawn"
	printf "1 mmap %.0f %.0f rw- private,anon,fixed\n", A, n * 4096
	for (i = 0; i < n; i++) printf "1 w %.0f %d\n", A + i * 4096 + 8 * (i % 9), 3 * i + 1
	print "1 fork 2"
	for (i = 0; i < n; i += 2) printf "2 w %.0f %d\n", A + i * 4096 + 8 * (i % 9), 5 * i + 2
	for (i = 0; i < n; i += 3) printf "1 r %.0f\n2 r %.0f\n", A + i * 4096 + 8 * (i % 9), A + i * 4096 + 8 * (i % 9)
	printf "1 mremap %.0f %d %d maymove,fixed %.0f\n", A, 512 * 4096, 512 * 4096, A + 64 * 1048576
	printf "2 mprotect %.0f %d r--\n", A + 256 * 4096, 256 * 4096
	printf "2 madvise %.0f %d dontneed\n", A + 600 * 4096, 100 * 4096
	printf "1 munmap %.0f %d\n", A + 700 * 4096, 100 * 4096
	print "1 fork 3"
	print "2 exec"
	for (i = 0; i < n; i += 7) printf "1 r %.0f\n3 r %.0f\n", A + 64 * 1048576 + (i % 512) * 4096 + 8 * (i % 9), A + i * 4096 + 8 * (i % 9)
	for (i = 0; i < n; i += 5) printf "3 w %.0f %d\n", A + i * 4096, i
	for (i = 0; i < n; i += 5) printf "3 r %.0f\n", A + i * 4096
	print "check"
}' >swapmem.trace
swap_like_1g() {
	replay swapmem --mem 1G --dump big.dump
	[ "$rc" -eq 0 ] || { fail "--mem 1G: exit $rc; $(errtext swapmem)"; return 1; }
	replay swapmem --mem 4M --swap 16M --check --dump small.dump --stats small.json
	signalled swapmem && return 1
	[ "$rc" -eq 0 ] || { fail "--mem 4M --swap 16M: exit $rc; $(errtext swapmem)"; return 1; }
	cmp -s <(grep '^op' big.dump) <(grep '^op' small.dump) ||
		{ fail "op lines differ: $(diff <(grep '^op' big.dump) <(grep '^op' small.dump) | head -4)"; return 1; }
	grep -q ' bus$\| oom-killed$\| killed$' small.dump &&
		{ fail "a fault failed: $(grep -m1 ' bus$\| oom-killed$\| killed$' small.dump)"; return 1; }
	python3 - small.json <<'PY' || { fail "$(cat py.err)"; return 1; }
import json, sys
v = json.load(open(sys.argv[1]))["vm"]
if not (v["swap_outs"] > 1000 and v["swap_ins"] > 500 and v["swap_io_errors"] == 0):
    sys.exit(open("py.err", "w").write("swap counters %s" % v))
PY
	# without swap the same trace cannot run in 4M (its mmap is refused)
	replay swapmem --mem 4M --dump noswap.dump
	cmp -s <(grep '^op' big.dump) <(grep '^op' noswap.dump) &&
		{ fail "4M without swap was enough"; return 1; }
	return 0
}
t "swap: a trace needing 2.5x --mem 4M runs with --swap 16M, checked, its op lines those of --mem 1G" \
	swap_like_1g

swapoff_dump() {
	{ cat swapmem.trace; echo "swapoff = ok"; echo check; } >swapoff2.trace
	replay swapoff2 --mem 1G --dump big2.dump
	[ "$rc" -eq 0 ] || { fail "--mem 1G: exit $rc; $(errtext swapoff2)"; return 1; }
	replay swapoff2 --mem 6M --swap 16M --check --dump small2.dump --stats small2.json
	[ "$rc" -eq 0 ] || { fail "--mem 6M --swap 16M: exit $rc; $(errtext swapoff2)"; return 1; }
	grep -q "\"swap_outs\": [1-9]" small2.json || { fail "nothing was swapped out"; return 1; }
	cmp -s big2.dump small2.dump ||
		{ fail "dumps differ: $(diff big2.dump small2.dump | head -4)"; return 1; }
	# the same in 4M: the pages do not fit, swap stays on
	sed 's/^swapoff = ok$/swapoff = -ENOMEM/' swapoff2.trace >swapoff3.trace
	replay swapoff3 --mem 4M --swap 16M --check --dump small3.dump
	[ "$rc" -eq 0 ] || { fail "--mem 4M: exit $rc; $(errtext swapoff3)"; return 1; }
	return 0
}
t "swapoff brings every page back: the whole dump is that of --mem 1G; -ENOMEM when they do not fit" \
	swapoff_dump

# the first write fails: that page stays in the swap cache, dirty, and
# reclaim, asking again, writes it out the next time round
mk swapio <<'EOF'
1 spawn
1 mmap 0x100000000000 0x8000 rw- private,anon,fixed
1 touch 0x100000000000 0x8000 w 0x77
reclaim 8 = 8
1 r 0x100000000000 = 0x77
1 r 0x100000007000 = 0x77
1 r 0x100000003000 = 0x77
check
EOF
mk swapior <<'EOF'
1 spawn
1 mmap 0x100000000000 0x8000 rw- private,anon,fixed
1 touch 0x100000000000 0x8000 w 0x77
reclaim 8 = 8
1 r 0x100000005000 = bus
1 r 0x100000005000 = 0x77
1 w 0x100000006000 5 = ok
1 r 0x100000006000 = 0x5
check
EOF
swap_io() {
	replay swapio --swap 1M --fail-swap-io 1 --check --stats swapio.json
	[ "$rc" -eq 0 ] || { fail "write failure: exit $rc; $(errtext swapio)"; return 1; }
	grep -q '"swap_io_errors": 1' swapio.json || { fail "swap_io_errors is not 1"; return 1; }
	replay swapior --swap 1M --fail-swap-io 9 --check --stats swapior.json
	[ "$rc" -eq 0 ] || { fail "read failure: exit $rc; $(errtext swapior)"; return 1; }
	grep -q '"swap_io_errors": 1' swapior.json || { fail "swap_io_errors is not 1"; return 1; }
	# without the failure, the read works
	replay swapior --swap 1M --check
	[ "$rc" -eq 1 ] && grep -q 'swapior.trace:5: expected bus, got 0x77' swapior.err ||
		{ fail "without --fail-swap-io: exit $rc; $(errtext swapior)"; return 1; }
	return 0
}
t "--fail-swap-io: a failed write keeps the page in memory, a failed read is bus and loses nothing" \
	swap_io

swap_args() {
	mk u <<<'1 spawn'
	usage replay u.trace --swap 1K || return 1
	usage replay u.trace --swap lots || return 1
	usage replay u.trace --swap 9T || return 1
	usage replay u.trace --fail-swap-io 3 || return 1
	usage replay u.trace --swap 1M --fail-swap-io x || return 1
	TMPDIR=/nonexistent/dir "$REVMAP" replay u.trace --swap 1M 2>u.err
	[ $? -eq 2 ] && grep -q '^revmap: cannot create the swap file in /nonexistent/dir: ' u.err ||
		{ fail "unwritable TMPDIR: $(cat u.err)"; return 1; }
	"$REVMAP" replay u.trace --swap=1M || { fail "--swap=1M"; return 1; }
	return 0
}
t "--swap: bad sizes, --fail-swap-io without swap, an unwritable TMPDIR" swap_args

lowmem_args() {
	mk u <<<'1 spawn'
	usage replay u.trace --lowmem 1K || return 1
	usage replay u.trace --lowmem lots || return 1
	usage replay u.trace --mem 64M --lowmem 64M || return 1
	usage replay u.trace --lowmem 1G || return 1
	usage replay u.trace --highpte || return 1
	grep -q -- '--highpte needs --lowmem' u.err || { fail "$(cat u.err)"; return 1; }
	usage replay u.trace --mem 1M --lowmem=1000K || return 1
	grep -q -- '--lowmem' u.err || { fail "the error does not name --lowmem: $(cat u.err)"; return 1; }
	"$REVMAP" replay u.trace --lowmem=1M --highpte --check || { fail "--lowmem=1M"; return 1; }
	return 0
}
t "--lowmem: bad sizes, not less than --mem, --highpte without it" lowmem_args

# one process maps a 1 MiB file 64 times, 2 MiB apart, and reads it all:
# 16384 PTEs of 256 pages
{
	echo "file f 0x100000 7"
	echo "1 spawn"
	for i in $(seq 0 63); do
		a=$(printf '0x%x' $((0x100000000000 + i * 0x200000)))
		echo "1 mmap $a 0x100000 r-- shared,fixed f 0x0"
		echo "1 touch $a 0x100000 r"
	done
	echo "check"
} >lowchain.trace
lowmem_chains() {
	replay lowchain --scheme ptechain --mem 16M --lowmem 128K --highpte --check --dump pc.dump \
		--stats pc.json
	[ "$rc" -eq 0 ] || { fail "ptechain: exit $rc; $(errtext lowchain)"; return 1; }
	grep -q '^revmap: lowchain.trace:[0-9]*: Out of memory: Killed process 1' lowchain.err ||
		{ fail "ptechain: no OOM kill: $(errtext lowchain)"; return 1; }
	grep -q ' oom-killed$' pc.dump || { fail "ptechain: no oom-killed line"; return 1; }
	replay lowchain --scheme avc --mem 16M --lowmem 128K --highpte --check --dump avc.dump \
		--stats avc.json
	[ "$rc" -eq 0 ] && [ ! -s lowchain.err ] || { fail "avc: exit $rc; $(errtext lowchain)"; return 1; }
	grep -q ' oom-killed$\| killed$' avc.dump && { fail "avc: a line was killed"; return 1; }
	replay lowchain --scheme avc --mem 16M --stats none.json
	grep -q '"lowmem"' none.json && { fail "a lowmem object without --lowmem"; return 1; }
	python3 - pc.json avc.json <<'PY' || { fail "$(cat py.err)"; return 1; }
import json, sys
pc, avc = (json.load(open(f))["lowmem"] for f in sys.argv[1:3])
first = pc.get("used_by_at_first_failure", {})
ok = (pc["frames"] == 31 and pc["alloc_failures"] > 0 and first.get("slab:pte_chain", 0) > 8
      and pc["used_peak"] == 31 and "used_by_at_first_failure" not in avc
      and pc["highpte"] and avc["alloc_failures"] == 0 and "slab:pte_chain" not in avc["used_by"]
      and avc["used_by"]["page_tables"] == 3 and avc["used_peak"] <= 31)
if not ok:
    sys.exit(open("py.err", "w").write("lowmem stats: ptechain %s avc %s" % (pc, avc)))
PY
	return 0
}
t "--lowmem: pte_chains exhaust a 128K low zone (OOM kill) where avc runs; the lowmem stats" \
	lowmem_chains

# a file line far bigger than the host's disk: refused before any of it
# is written (the store would fill the disk), exit 2, the line named
huge_file() {
	mk huge <<'END'
1 spawn
file big 140737488351232
1 mmap 0 4096 r-- private big 0
END
	( ulimit -f 1048576; "$REVMAP" replay huge.trace >huge.out 2>huge.err ); rc=$?
	[ $rc = 2 ] || { fail "exit $rc, not 2: $(errtext huge)"; return 1; }
	grep -q '^revmap: huge.trace:2: file big (140737488351232 bytes) is bigger than the machine.s memory, and the host.s disk' huge.err ||
		{ fail "$(errtext huge)"; return 1; }
}
t "a file bigger than the host's free disk is refused at its line, exit 2, nothing written" huge_file

echo "1..$n"
