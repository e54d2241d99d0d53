#!/bin/sh
# tests/capture/record.sh BUILD - record workout.c under revmap capture and
# keep perf script's text as tests/capture/workout.perf.txt (gzip'd), and
# strace's as workout.strace.txt.gz: the converter's test data.  Needs root,
# perf and strace.  Run from the source tree.
set -e
build=${1:-build}
cc -O1 -pthread -o "$build/workout" tests/capture/workout.c
"$build/revmap" capture -o "$build/workout.trace" --keep-script "$build/workout.perf.txt" \
	-- "$build/workout"
gzip -9n <"$build/workout.perf.txt" >tests/capture/workout.perf.txt.gz
echo "recorded: tests/capture/workout.perf.txt.gz"
"$build/revmap" capture -o "$build/workout.strace.trace" --strace \
	--keep-script "$build/workout.strace.txt" -- "$build/workout"
gzip -9n <"$build/workout.strace.txt" >tests/capture/workout.strace.txt.gz
echo "recorded: tests/capture/workout.strace.txt.gz"
cc -O1 -pthread -o "$build/thread_exec" tests/capture/thread_exec.c
"$build/revmap" capture -o "$build/thread_exec.trace" \
	--keep-script "$build/thread_exec.perf.txt" -- "$build/thread_exec"
gzip -9n <"$build/thread_exec.perf.txt" >tests/capture/thread_exec.perf.txt.gz
echo "recorded: tests/capture/thread_exec.perf.txt.gz"
