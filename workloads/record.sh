#!/bin/bash
# workloads/record.sh REVMAP [NAME...] - record the shipped workloads on this
# machine with `revmap capture --portable`, compressed with zstd, each with a
# NAME.meta saying how, when and how long the program took under capture.
# Needs root, perf, and the programs (Debian: make deps, then apt-get
# install nginx-light wrk redis-server git python3); the zlib source tree
# and the repository git clones are given by ZLIB_SRC and GIT_REPO.
# Run from the source tree: workloads/record.sh build/revmap
set -euo pipefail
REVMAP=$(realpath "$1")
shift
names=${*:-make-zlib python-pool shell-pipeline postgres-pgbench nginx-prefork git-repo redis-bgsave}
W=$(realpath "$(dirname "$0")")
RUN=$(mktemp -d /tmp/revmap-workloads.XXXXXX)
trap 'rm -rf "$RUN"' EXIT

capture() {        # capture NAME COMMAND...: the trace, compressed, and its meta
	local name=$1
	shift
	"$REVMAP" capture --portable -o "$RUN/$name.trace" -- "$@" >"$RUN/$name.out" 2>"$RUN/$name.err" ||
		{ cat "$RUN/$name.err" >&2; exit 1; }
	zstd -q -19 -f "$RUN/$name.trace" -o "$W/$name.trace.zst"
	{
		echo "name: $name"
		echo "command: $*"
		echo "recorded: $(date -u +%Y-%m-%dT%H:%M:%SZ) on $(uname -sr), $(nproc) CPUs," \
		     "$(awk '/MemTotal/ { printf "%d MiB", $2 / 1024 }' /proc/meminfo)"
		sed -n "/^revmap: capture: wrote/d; s/^revmap: capture: //p" "$RUN/$name.err"
		sed -n 3p "$RUN/$name.trace" | sed 's/^# /trace: /'
		echo "lines: $(wc -l <"$RUN/$name.trace")"
	} >"$W/$name.meta"
	echo "$name: $(sed -n 's/.*after \(.*\) under perf/\1/p' "$RUN/$name.err")"
}

for name in $names; do
	case $name in
	make-zlib)
		# make -j2 of zlib, configured beforehand (configure is not captured)
		src=${ZLIB_SRC:?ZLIB_SRC: a zlib source tree}
		rm -rf "$RUN/zlib" && cp -r "$src" "$RUN/zlib"
		(cd "$RUN/zlib" && ./configure >/dev/null && make clean >/dev/null)
		(cd "$RUN/zlib" && capture make-zlib make -j2)
		;;
	python-pool)
		capture python-pool /usr/bin/python3 "$W/src/pool.py"
		;;
	shell-pipeline)
		capture shell-pipeline /bin/sh "$W/src/pipeline.sh"
		;;
	postgres-pgbench)
		# PostgreSQL (shared_buffers 32 MB) under pgbench on loopback TCP:
		# a new connection per transaction (-C), so a backend forked from
		# the postmaster for each; pgbench is not captured
		pg=$(ls -d /usr/lib/postgresql/*/bin | tail -1)
		chmod 755 "$RUN"
		mkdir -p "$RUN/pg" && chown postgres "$RUN/pg"
		runuser -u postgres -- "$pg/initdb" -D "$RUN/pg/data" -A trust >/dev/null
		( sleep 3
		  runuser -u postgres -- "$pg/pgbench" -h 127.0.0.1 -p 5439 -i -s 2 postgres >/dev/null 2>&1
		  runuser -u postgres -- "$pg/pgbench" -h 127.0.0.1 -p 5439 -c 4 -j 2 -T 4 -C postgres \
			>"$RUN/pgbench.out" 2>&1
		  runuser -u postgres -- "$pg/pg_ctl" -D "$RUN/pg/data" stop -m fast >/dev/null ) &
		capture postgres-pgbench runuser -u postgres -- "$pg/postgres" -D "$RUN/pg/data" \
			-k "$RUN/pg" -p 5439 -c listen_addresses=127.0.0.1 -c shared_buffers=32MB
		wait
		grep -E '^(number of transactions actually processed|tps)' "$RUN/pgbench.out" |
			sed 's/^/  pgbench: /' >>"$W/postgres-pgbench.meta"
		;;
	nginx-prefork)
		# nginx (a master, 2 workers) under wrk on loopback for 5 s; wrk and
		# the driver are not the captured command's children: not captured
		mkdir -p "$RUN/ngx/www"
		head -c 65536 /dev/urandom >"$RUN/ngx/www/big.bin"
		for i in $(seq 1 32); do echo "page $i" >"$RUN/ngx/www/p$i.html"; done
		sed "s,@DIR@,$RUN/ngx,g" "$W/src/nginx.conf" >"$RUN/ngx/nginx.conf"
		( sleep 2
		  wrk -t2 -c32 -d5s http://127.0.0.1:8089/big.bin >"$RUN/wrk1.out" 2>&1
		  wrk -t2 -c32 -d2s http://127.0.0.1:8089/p7.html >"$RUN/wrk2.out" 2>&1
		  kill -QUIT "$(cat "$RUN/ngx/nginx.pid")" ) &
		capture nginx-prefork /usr/sbin/nginx -c "$RUN/ngx/nginx.conf"
		wait
		sed -n 's/^/  wrk: /p' "$RUN/wrk1.out" | grep -E 'Requests/sec|requests in' >>"$W/nginx-prefork.meta"
		;;
	git-repo)
		# clone a real repository (index-pack's threads, pack mmaps), read
		# its history with patches, repack it
		repo=${GIT_REPO:?GIT_REPO: a git repository to clone}
		capture git-repo /bin/sh -c "git clone -q --no-local '$repo' '$RUN/g' && cd '$RUN/g' &&
			git log -p >/dev/null && git gc -q --aggressive"
		;;
	redis-bgsave)
		# redis-server filled by redis-benchmark (~100k keys of 512 bytes),
		# BGSAVE (a fork that writes the heap out while the parent keeps
		# taking writes: copy-on-write), then SHUTDOWN; the clients are
		# not captured
		mkdir -p "$RUN/redis"
		( sleep 2
		  redis-benchmark -p 6399 -q -t set -n 150000 -d 512 -r 100000 >/dev/null
		  redis-cli -p 6399 bgsave >/dev/null
		  redis-benchmark -p 6399 -q -t set -n 50000 -d 512 -r 100000 >/dev/null
		  while [ "$(redis-cli -p 6399 info persistence | tr -d '\r' |
			     sed -n 's/^rdb_bgsave_in_progress://p')" != 0 ]; do sleep 0.2; done
		  redis-cli -p 6399 shutdown nosave >/dev/null 2>&1 || true ) &
		capture redis-bgsave /usr/bin/redis-server --port 6399 --save '' \
			--dir "$RUN/redis" --daemonize no --loglevel warning
		wait
		;;
	*)
		echo "record.sh: no workload '$name'" >&2
		exit 2
		;;
	esac
done
