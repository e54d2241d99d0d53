#!/usr/bin/env bash
#
# tests/capture.t - revmap capture: the converter on recorded perf output,
# and, where this machine lets it, a capture made now.
# TAP; run by prove.  REVMAP_BUILD names the build directory (default build).
#
# What is tested:
#   - tests/capture/workout.perf.txt.gz (perf script's text of
#     tests/capture/workout.c, recorded by tests/capture/record.sh) converts,
#     --portable, into a trace that replays with --check and no mismatch under
#     every scheme;
#   - the shapes in it: the command's own exec from MMAP2 records (stack,
#     loader segments, vDSO), placement as fixed with '= result', a vfork
#     child that execs as a new process (spawn) and whose failed execve left
#     nothing, fork and exit, a thread's faults and mappings in its process,
#     a failed MAP_FIXED_NOREPLACE as a comment, mprotect's -ENOMEM on a hole,
#     an advice the trace cannot say as a comment, brkbase from brk(0), the
#     stack growing below itself, faults the kernel took in pread(2), file
#     lines for a deleted file;
#   - hostfile lines without --portable, for files that still exist;
#   - the same text twice gives the same trace; from standard input too;
#   - bad input: a line that is not perf script's names FILE:LINE, exit 1; lost
#     events fail the conversion; an empty text; usage errors exit 2;
#   - tests/capture/thread_exec.c's recording: a thread that is not the
#     leader execs (its new image's records carry the leader's id): the
#     image's mappings follow the exec line, and it replays everywhere;
#   - strace's text of the same program (workout.strace.txt.gz) converts
#     with --strace: no faults, the same processes (a vfork child's calls
#     printed before its parent's vfork returned are its own, after it),
#     calls on memory strace cannot show left out as comments, and it
#     replays with --check and no mismatch under every scheme;
#   - a live capture (root and perf only, else skipped): sh running a
#     pipeline, replayed with --check; where perf cannot run (no perf on
#     PATH), capture says so and records with strace, and that replays too.

set -u
cd "$(dirname "$0")/.." || exit 1
ROOT=$(pwd)

B=${REVMAP_BUILD:-build}
REVMAP=$(cd "$B" 2>/dev/null && pwd)/revmap
TMP=$(mktemp -d "${TMPDIR:-/tmp}/capture-t.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
cd "$TMP" || exit 1

. "$ROOT/tests/tap.sh"

if [ ! -x "$REVMAP" ]; then
	echo "1..0 # SKIP no $B/revmap (run make first)"
	exit 0
fi

SCHEMES="avc scan vmaoff vmaring anonvma anonlayer astree vmainode mminode ptechain objrmap"
gzip -dc "$ROOT/tests/capture/workout.perf.txt.gz" >workout.perf.txt

# replays_checked TRACE: it replays with --check under every scheme, no mismatch
replays_checked() {
	local s
	for s in $SCHEMES; do
		"$REVMAP" replay "$1" --check --scheme "$s" >/dev/null 2>"$1.$s.err" ||
			{ fail "$s: exit $?: $(head -c 400 "$1.$s.err")"; return 1; }
	done
}

convert() {
	"$REVMAP" capture -o workout.trace --portable --from workout.perf.txt 2>convert.err ||
		{ fail "capture --from failed: $(cat convert.err)"; return 1; }
	[ -s workout.trace ] || { fail "no trace written"; return 1; }
}
t "the recorded perf text converts (--portable)" convert

replays() {
	local s
	replays_checked workout.trace || return 1
	# the same final state under every scheme
	for s in $SCHEMES; do
		"$REVMAP" replay workout.trace --scheme "$s" --dump "d.$s" 2>/dev/null ||
			{ fail "$s: no dump"; return 1; }
		cmp -s d.avc "d.$s" || { fail "$s's dump differs from avc's"; return 1; }
	done
}
t "it replays with --check and no mismatch under every scheme, same dump" replays

# has DESC REGEX: the trace has a line matching REGEX
has() {
	grep -Eq -- "$2" workout.trace || { fail "no line matching '$2'"; return 1; }
}
t "the command's exec: stack, loader segments, vDSO from MMAP2" \
	bash -c 'grep -Eq "^1 mmap 0x[0-9a-f]+ 0x21000 rw- private,anon,fixed = 0x[0-9a-f]+	# \[stack\]" workout.trace &&
		 grep -Eq "^1 mmap 0x[0-9a-f]+ 0x[0-9a-f]+ r-x private,fixed f[0-9]+-workout 0x1000 = " workout.trace &&
		 grep -Eq "# \[vdso\]" workout.trace'
t "kernel-chosen placement is fixed, with its result" \
	has x '^1 mmap (0x[0-9a-f]+) 0x10000 rw- shared,fixed f[0-9]+-revmap-workout-[A-Za-z0-9]+ 0x0 = 0x[0-9a-f]+$'
t "mremap that moved: maymove,fixed at the new address" \
	has x '^1 mremap 0x[0-9a-f]+ 0x4000 0x40000 maymove,fixed (0x[0-9a-f]+) = 0x[0-9a-f]+$'
t "a failed MAP_FIXED_NOREPLACE is a comment" has x '^# 1 mmap .* = -EEXIST \(failed: changes nothing\)$'
t "mprotect over a hole: -ENOMEM, written" has x '^1 mprotect 0x[0-9a-f]+ 0x10000 --- = -ENOMEM$'
t "MADV_HUGEPAGE is a comment" has x '^# 1 madvise .* advice 14 = 0'
t "madvise, mlock, munlock with results" \
	bash -c 'grep -Eq "^1 madvise 0x[0-9a-f]+ 0x10000 dontneed = 0$" workout.trace &&
		 grep -Eq "^1 mlock 0x[0-9a-f]+ 0x2000 = 0$" workout.trace &&
		 grep -Eq "^1 munlock 0x[0-9a-f]+ 0x2000 = 0$" workout.trace'
t "brkbase from brk(0), then brk with results" \
	bash -c 'grep -Eq "^1 brkbase (0x[0-9a-f]+) = 0$" workout.trace && grep -Eq "^1 brk 0x0 = 0x[0-9a-f]+$" workout.trace'
t "the stack grows below itself" has x '^1 mmap 0x[0-9a-f]+ 0x[0-9a-f]+ rw- private,anon,fixed = 0x[0-9a-f]+	# the stack grows$'
t "fork, the child's exit" bash -c 'grep -Eq "^1 fork 2	# pid [0-9]+$" workout.trace && grep -q "^2 exit$" workout.trace'

vfork() {
	local spawns
	spawns=$(grep -Ec '^[0-9]+ spawn' workout.trace)
	[ "$spawns" = 2 ] || { fail "$spawns spawn lines, not 2 (the command, the vfork child's exec)"; return 1; }
	grep -Eq '^3 spawn	# pid [0-9]+ exec /bin/true$' workout.trace || { fail "no '3 spawn # ... exec /bin/true'"; return 1; }
	grep -q nonexistent workout.trace && { fail "the failed execve left a line"; return 1; }
	[ "$(grep -Ec '^[0-9]+ exec' workout.trace)" = 1 ] || { fail "exec lines other than the command's"; return 1; }
	return 0
}
t "a vfork child is its parent's until exec, then a new process; a failed execve leaves nothing" vfork

thread() {
	# the thread's 8-page mapping, 4 pages unmapped: in process 1
	grep -Eq '^1 mmap (0x[0-9a-f]+) 0x8000 rw- private,anon,fixed' workout.trace &&
		grep -Eq '^1 munmap 0x[0-9a-f]+ 0x4000 = 0$' workout.trace ||
		{ fail "the thread's mmap/munmap are not process 1's"; return 1; }
	# its stack: glibc's guard and mprotect
	grep -Eq '^1 mprotect 0x[0-9a-f]+ 0x800000 rw- = 0$' workout.trace || { fail "no thread stack"; return 1; }
}
t "a thread's calls are its process's" thread

kernel_faults() {
	# pread(2) into 4 fresh pages: 4 writes the kernel faulted, in order
	local rd
	rd=$(grep -E '^1 mmap 0x[0-9a-f]+ 0x4000 rw- private,anon,fixed = ' workout.trace | tail -1 | awk '{print $3}')
	[ -n "$rd" ] || { fail "no pread buffer mapping"; return 1; }
	local n=0 s=$((rd)) a
	while read -r a; do
		a=$((a))
		[ $a -ge $s ] && [ $a -lt $((s + 16384)) ] && n=$((n + 1))
	done < <(grep -E '^1 w 0x' workout.trace | cut -d' ' -f3)
	[ "$n" -ge 4 ] || { fail "$n writes in the pread buffer, not 4"; return 1; }
}
t "faults the kernel took in pread(2) are writes" kernel_faults

t "a deleted file is a file line of what was mapped" \
	has x '^file f[0-9]+-revmap-workout-[A-Za-z0-9]+ 65536 [0-9]+	# /tmp/revmap-workout-[A-Za-z0-9]+ \(gone or special'

hostfiles() {
	"$REVMAP" capture -o host.trace --from workout.perf.txt 2>/dev/null || { fail "no conversion"; return 1; }
	grep -q '^hostfile f[0-9]*-libc.so.6 /usr/lib/x86_64-linux-gnu/libc.so.6$' host.trace ||
		[ ! -e /usr/lib/x86_64-linux-gnu/libc.so.6 ] || { fail "no hostfile line for libc"; return 1; }
	grep -q '^file f[0-9]*-revmap-workout' host.trace || { fail "the deleted file is not a file line"; return 1; }
}
t "without --portable, files that exist are hostfile lines" hostfiles

same() {
	"$REVMAP" capture -o again.trace --portable --from - <workout.perf.txt 2>/dev/null ||
		{ fail "stdin conversion failed"; return 1; }
	cmp -s workout.trace again.trace || { fail "a second conversion differs"; return 1; }
}
t "the same text converts to the same trace, from standard input too" same

bad_line() {
	{ head -20 workout.perf.txt; echo "this is not perf output"; } >bad.txt
	"$REVMAP" capture -o bad.trace --from bad.txt 2>bad.err
	local rc=$?
	[ $rc = 1 ] || { fail "exit $rc, not 1"; return 1; }
	grep -q '^revmap: capture: bad.txt:21: expected' bad.err || { fail "stderr: $(cat bad.err)"; return 1; }
	[ ! -e bad.trace ] || { fail "a trace was written"; return 1; }
}
t "a line that is not perf script's: FILE:LINE, exit 1, no trace" bad_line

lost() {
	{ head -30 workout.perf.txt; echo "    0/0    1.0: PERF_RECORD_LOST lost 12"; tail -n +31 workout.perf.txt; } >lost.txt
	"$REVMAP" capture -o lost.trace --from lost.txt 2>lost.err
	local rc=$?
	[ $rc = 1 ] || { fail "exit $rc, not 1"; return 1; }
	grep -q 'perf lost 12 events' lost.err || { fail "stderr: $(cat lost.err)"; return 1; }
}
t "events perf lost fail the conversion" lost

empty() {
	: >empty.txt
	"$REVMAP" capture -o empty.trace --from empty.txt 2>empty.err
	[ $? = 1 ] && grep -q 'no process in it' empty.err || { fail "stderr: $(cat empty.err)"; return 1; }
}
t "an empty text fails" empty

usage() {
	local args
	for args in "--from workout.perf.txt" "-o x.trace" "-o x.trace --from a -- true" \
		"-o x.trace --bogus" "-o"; do
		# shellcheck disable=SC2086
		"$REVMAP" capture $args >/dev/null 2>u.err
		local rc=$?
		[ $rc = 2 ] || { fail "capture $args: exit $rc"; return 1; }
		grep -q "^revmap: capture: .*; see 'revmap help capture'$" u.err || { fail "capture $args: $(cat u.err)"; return 1; }
	done
}
t "usage errors exit 2 with one line" usage

thread_exec() {
	gzip -dc "$ROOT/tests/capture/thread_exec.perf.txt.gz" >te.txt
	"$REVMAP" capture -o te.trace --portable --from te.txt 2>te.err || { fail "$(cat te.err)"; return 1; }
	grep -q 'old_pid=[0-9]*' te.txt && ! grep -q 'sched_process_exec: filename=/bin/true pid=\([0-9]*\) old_pid=\1$' te.txt ||
		{ fail "the recording's exec is not a non-leader thread's"; return 1; }
	grep -A2 -E '^1 exec	# pid [0-9]+ /bin/true$' te.trace | grep -q '# \[stack\]$' ||
		{ fail "the exec'd image's mappings are missing: $(grep -A2 '/bin/true$' te.trace)"; return 1; }
	replays_checked te.trace
}
t "a thread other than the leader execs: the new image's mappings (under the leader's id) are its, it replays" thread_exec

gzip -dc "$ROOT/tests/capture/workout.strace.txt.gz" >workout.strace.txt
strace_conv() {
	"$REVMAP" capture -o st.trace --portable --strace --from workout.strace.txt 2>st.err ||
		{ fail "capture --strace --from failed: $(cat st.err)"; return 1; }
	grep -q '^# recorded with strace: no page faults' st.trace || { fail "no strace header"; return 1; }
	! grep -Eq '^[0-9]+ [rw] ' st.trace || { fail "faults in a strace trace"; return 1; }
	grep -Eq '^1 fork 2	# pid [0-9]+$' st.trace && grep -q '^2 exit$' st.trace ||
		{ fail "no fork"; return 1; }
	grep -Eq '^3 spawn	# pid [0-9]+ exec /bin/true$' st.trace || { fail "no vfork child's spawn"; return 1; }
	[ "$(grep -Ec '^[0-9]+ (spawn|exec)' st.trace)" = 3 ] || { fail "spawn/exec lines: $(grep -E '^[0-9]+ (spawn|exec)' st.trace)"; return 1; }
	grep -Eq '^# 1 mprotect .*on memory strace cannot show: left out\)$' st.trace ||
		{ fail "the main program's RELRO mprotect is not a comment"; return 1; }
	grep -Eq '^1 mprotect 0x[0-9a-f]+ 0x4000 r-- = 0$' st.trace || { fail "libc's RELRO mprotect is missing"; return 1; }
	grep -Eq '^1 mremap 0x[0-9a-f]+ 0x4000 0x40000 maymove,fixed ' st.trace || { fail "no mremap"; return 1; }
	replays_checked st.trace
}
t "strace's text converts (--strace): no faults, the processes, unknown memory left out, replays under every scheme" strace_conv

live() {
	"$REVMAP" capture -o live.trace -- sh -c 'x=$(echo hello | tr h j); ls / >/dev/null' \
		>live.out 2>live.err || { fail "capture failed: $(cat live.err)"; return 1; }
	grep -q '^1 exec' live.trace || { fail "no exec line"; return 1; }
	"$REVMAP" replay live.trace --check >/dev/null 2>live.rerr || { fail "replay: $(cat live.rerr)"; return 1; }
}
if [ "$(id -u)" = 0 ] && command -v perf >/dev/null &&
	perf record -q -o perf-probe.data -e exceptions:page_fault_user -- true >/dev/null 2>&1; then
	t "a live capture of a shell pipeline replays with --check" live
else
	ok "a live capture # SKIP needs root and perf with tracepoints"
fi

fallback() {
	# a PATH with strace but no perf: capture falls back, says so
	mkdir -p nopath && ln -sf "$(command -v strace)" nopath/strace
	PATH="$TMP/nopath" "$REVMAP" capture -o fb.trace -- /bin/sh -c 'echo x | /bin/cat >/dev/null' \
		>fb.out 2>fb.err || { fail "capture failed: $(cat fb.err)"; return 1; }
	grep -q 'recording with strace instead' fb.err || { fail "stderr: $(cat fb.err)"; return 1; }
	grep -q '^# recorded with strace' fb.trace || { fail "not a strace trace"; return 1; }
	"$REVMAP" replay fb.trace --check >/dev/null 2>fb.rerr || { fail "replay: $(cat fb.rerr)"; return 1; }
}
if [ "$(id -u)" = 0 ] && command -v strace >/dev/null &&
	strace -f -qq -o /dev/null true 2>/dev/null; then
	t "without perf, capture records with strace, says so, and the trace replays" fallback
else
	ok "strace fallback # SKIP needs root and a working strace"
fi

echo "1..$n"
