#!/bin/sh
# workloads/src/pipeline.sh - a shell pipeline script: the most used words
# of the C headers on this machine, then a checksum of a sorted file list.
set -e
find /usr/include -name '*.h' -size -64k | head -2000 | xargs cat |
	tr -cs 'A-Za-z_' '\n' | sort | uniq -c | sort -rn | head -20 >/dev/null
ls -lR /usr/share/doc 2>/dev/null | awk '{ s += $5 } END { print s }' >/dev/null
find /usr/lib -maxdepth 2 -type f | sort | sed 's,/, ,g' | md5sum
