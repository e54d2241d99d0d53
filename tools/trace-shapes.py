#!/usr/bin/env python3
"""tools/trace-shapes.py - which argument shapes of the trace format a set of
traces contains, line kind by line kind (../shared/spec/trace-v1.md).

  tools/trace-shapes.py TRACE...
  tools/trace-shapes.py --gen GENTRACE --seeds N [--opt '--files'] ...

With --gen, runs GENTRACE SEED OPT for SEED 1..N, once for each --opt given
(default: one run without options), and counts the shapes over all of them.
Prints one line per shape: the line kind, the shape, and how many lines had
it (0: never produced).  tools/gentrace-coverage.md is written from this.

The shapes are read off the text and what can be known statically, as the
parser knows it: the live pids and who forked whom, each file's size (the
rule for fwrite), the pages a truncate grew that no fwrite has written
since (a hole, unless a fault through a mapping filled it), each pid's last
brkbase and brk argument.  Results are not known (nothing is run).
"""
import re
import subprocess
import sys
from collections import Counter, defaultdict

PG = 4096
WIN_HI = 0x200000000000
TASK_SIZE = 0x7ffffffff000
MAX_LFS = (1 << 63) - 1
U64 = 1 << 64

ADVICE = ("normal random sequential willneed dontneed free remove dontfork dofork "
          "wipeonfork keeponfork cold pageout populate_read populate_write").split()
PROTS = ["---", "r--", "-w-", "rw-", "--x", "r-x", "-wx", "rwx"]

# every shape, so that those never seen print as 0
SHAPES = []


def shape(kind, *names):
    for n in names:
        SHAPES.append((kind, n))


shape("lexical", "hex number", "decimal number", "hex with leading zeros", "tab between tokens",
      "several blanks between tokens", "comment after an event", "comment line between events",
      "blank line between events", "= result")
shape("spawn", "spawn", "spawn of a pid used before")
shape("fork", "fork", "fork of a forked child", "chain of 3 forks or more",
      "5 or more children of one parent", "10 or more live processes")
shape("exec", "exec", "exec of a parent with live children")
shape("exit", "exit", "exit of a parent with live children", "exit of the last live process")
shape("file", "size 0", "size 1..7", "size < page", "size not a page multiple",
      "size a page multiple", "size > 64 pages", "seed absent", "seed > 2^32",
      "name with . _ or -")
shape("hostfile", "hostfile")
shape("truncate", "to 0", "shrink to a page multiple", "shrink to mid-page", "same size",
      "grow by < a page", "grow by 1..16 pages", "grow by > 16 pages", "grow to >= 2^30",
      "to 2^63-1", "to >= 2^63 (EINVAL)")
shape("fwrite", "8-byte aligned", "not 8-byte aligned", "straddling two pages",
      "ending exactly at EOF", "in the last page", "into a page a truncate grew, not yet fwritten",
      "offset >= 2^30", "with a value", "without a value", "value 0")
for f in ("private,anon", "shared,anon", "private file", "shared file"):
    shape("mmap", "kind " + f)
shape("mmap", "addr 0", "hint aligned", "hint unaligned", "fixed aligned", "fixed unaligned",
      "len 0", "len unaligned", "len a page multiple", "len past the address space",
      "len wrapping past 2^64", "len 2 MiB multiple", "offset aligned inside the file",
      "offset unaligned", "offset at or past EOF", "offset >= 2^30 past EOF",
      "offset >= 2^63", "fixed+noreplace", "populate+locked", "populate+locked+noreserve")
for fl in ("fixed", "noreplace", "populate", "locked", "noreserve"):
    shape("mmap", "flag " + fl)
for p in PROTS:
    shape("mmap", "prot " + p)
for k in ("munmap", "mprotect", "madvise", "mlock", "munlock"):
    shape(k, "addr unaligned", "len 0", "len unaligned", "len wrapping past 2^64",
          "to the window top")
for p in PROTS:
    shape("mprotect", "prot " + p)
for a in ADVICE:
    shape("madvise", "advice " + a)
for fl in ("-", "maymove", "fixed", "dontunmap", "maymove,fixed", "maymove,dontunmap",
           "fixed,dontunmap", "maymove,fixed,dontunmap"):
    shape("mremap", "flags " + fl)
shape("mremap", "dontunmap without fixed, with a hint", "dontunmap without fixed, no hint",
      "addr unaligned", "old_len 0", "old_len unaligned", "new_len 0", "new_len unaligned",
      "grow", "shrink", "same length", "len wrapping past 2^64", "new_addr unaligned")
shape("brkbase", "aligned", "unaligned", "again in the same process")
shape("brk", "0", "below base", "unaligned", "to a page boundary", "grow", "shrink",
      "back to base", "past the address space")
shape("remap_file_pages", "addr unaligned", "size unaligned", "size 0", "size < page",
      "pgoff wrapping")
shape("r", "8-byte aligned", "not 8-byte aligned", "last 8 bytes of a page", "page start")
shape("w", "8-byte aligned", "not 8-byte aligned", "last 8 bytes of a page", "page start",
      "without a value", "with a value", "value 0")
shape("touch", "addr unaligned", "len 0", "len < page", "len unaligned", "len a page multiple",
      "r", "w", "w with a value")
shape("directive", "check", "reclaim", "compact", "swapoff")


def num(t):
    return int(t, 16) if t.startswith("0x") else int(t)


def pg_up(x):
    return (x + PG - 1) // PG * PG


class Trace:
    def __init__(self, c):
        self.c = c
        self.live = {}                  # pid -> parent pid (0: spawned)
        self.used = set()
        self.depth = {}                 # pid -> fork depth
        self.size = {}                  # file -> size
        self.grown = defaultdict(set)   # file -> page indexes a truncate grew, not fwritten
        self.base = {}                  # pid -> brkbase argument
        self.brk = {}                   # pid -> last brk argument (or base)
        self.started = False            # past the revmap-trace header

    def children(self, pid):
        return [c for c, p in self.live.items() if p == pid]

    def line(self, raw):
        c = self.c
        code = raw.split("#", 1)
        if len(code) > 1 and self.started:
            if code[0].strip():
                c["lexical", "comment after an event"] += 1
            else:
                c["lexical", "comment line between events"] += 1
        text = code[0]
        if not text.strip():
            if len(code) == 1 and self.started:
                c["lexical", "blank line between events"] += 1
            return
        if "\t" in text.strip():
            c["lexical", "tab between tokens"] += 1
        if re.search(r"\S {2,}\S", text):
            c["lexical", "several blanks between tokens"] += 1
        t = text.split()
        if t[0] == "revmap-trace":
            self.started = True
            return
        if "=" in t:
            c["lexical", "= result"] += 1
            t = t[:t.index("=")]
        for tok in t[1:]:
            if re.fullmatch(r"0x[0-9a-fA-F]+", tok):
                c["lexical", "hex number"] += 1
                if len(tok) > 3 and tok[2] == "0":
                    c["lexical", "hex with leading zeros"] += 1
            elif re.fullmatch(r"[0-9]+", tok):
                c["lexical", "decimal number"] += 1
        if t[0].isdigit():
            self.pid_line(int(t[0]), t[1], t[2:])
        else:
            self.bare_line(t[0], t[1:])

    def bare_line(self, verb, a):
        c = self.c
        if verb in ("check", "reclaim", "compact", "swapoff"):
            c["directive", verb] += 1
        elif verb == "hostfile":
            c["hostfile", "hostfile"] += 1
        elif verb == "file":
            name, size = a[0], num(a[1])
            self.size[name] = size
            if size == 0:
                c["file", "size 0"] += 1
            elif size < 8:
                c["file", "size 1..7"] += 1
            if size < PG:
                c["file", "size < page"] += 1
            c["file", "size a page multiple" if size % PG == 0 else
              "size not a page multiple"] += 1
            if size > 64 * PG:
                c["file", "size > 64 pages"] += 1
            if len(a) < 3:
                c["file", "seed absent"] += 1
            elif num(a[2]) > 1 << 32:
                c["file", "seed > 2^32"] += 1
            if re.search(r"[._-]", name):
                c["file", "name with . _ or -"] += 1
        elif verb == "truncate":
            name, ns = a[0], num(a[1])
            old = self.size[name]
            if ns > MAX_LFS:
                c["truncate", "to >= 2^63 (EINVAL)"] += 1
                return
            if ns == MAX_LFS:
                c["truncate", "to 2^63-1"] += 1
            if ns == 0:
                c["truncate", "to 0"] += 1
            elif ns == old:
                c["truncate", "same size"] += 1
            elif ns < old:
                c["truncate", "shrink to a page multiple" if ns % PG == 0 else
                  "shrink to mid-page"] += 1
            else:
                d = ns - old
                c["truncate", "grow by < a page" if d < PG else
                  "grow by 1..16 pages" if d <= 16 * PG else "grow by > 16 pages"] += 1
                if ns >= 1 << 30:
                    c["truncate", "grow to >= 2^30"] += 1
            g = self.grown[name]
            if ns < old:
                for i in [i for i in g if i * PG >= ns]:
                    g.discard(i)
            elif ns > old and ns - old <= 4096 * PG:
                g.update(range(pg_up(old) // PG, pg_up(ns) // PG))
            self.size[name] = ns
        elif verb == "fwrite":
            name, off = a[0], num(a[1])
            size = self.size[name]
            c["fwrite", "8-byte aligned" if off % 8 == 0 else "not 8-byte aligned"] += 1
            if off // PG != (off + 7) // PG:
                c["fwrite", "straddling two pages"] += 1
            if off + 8 == size:
                c["fwrite", "ending exactly at EOF"] += 1
            if size > PG and off >= (size - 1) // PG * PG:
                c["fwrite", "in the last page"] += 1
            if off >= 1 << 30:
                c["fwrite", "offset >= 2^30"] += 1
            pages = {off // PG, (off + 7) // PG}
            if pages & self.grown[name]:
                c["fwrite", "into a page a truncate grew, not yet fwritten"] += 1
            self.grown[name] -= pages
            if len(a) > 2:
                c["fwrite", "with a value"] += 1
                if num(a[2]) == 0:
                    c["fwrite", "value 0"] += 1
            else:
                c["fwrite", "without a value"] += 1

    def range_call(self, kind, addr, ln):
        c = self.c
        if addr % PG:
            c[kind, "addr unaligned"] += 1
        if ln == 0:
            c[kind, "len 0"] += 1
        elif addr + ln >= U64 or pg_up(addr + ln) >= U64:
            c[kind, "len wrapping past 2^64"] += 1
        elif ln % PG:
            c[kind, "len unaligned"] += 1
        if addr < WIN_HI and addr + ln < U64 and pg_up(addr + ln) == WIN_HI:
            c[kind, "to the window top"] += 1

    def access(self, kind, addr):
        c = self.c
        o = addr % PG
        c[kind, "8-byte aligned" if o % 8 == 0 else "not 8-byte aligned"] += 1
        if o == PG - 8:
            c[kind, "last 8 bytes of a page"] += 1
        if o == 0:
            c[kind, "page start"] += 1

    def pid_line(self, pid, verb, a):
        c = self.c
        if verb == "spawn":
            c["spawn", "spawn"] += 1
            if pid in self.used:
                c["spawn", "spawn of a pid used before"] += 1
            self.live[pid] = 0
            self.used.add(pid)
            self.depth[pid] = 0
        elif verb == "fork":
            child = int(a[0])
            c["fork", "fork"] += 1
            if self.live.get(pid):
                c["fork", "fork of a forked child"] += 1
            self.live[child] = pid
            self.used.add(child)
            self.depth[child] = self.depth.get(pid, 0) + 1
            if self.depth[child] == 3:
                c["fork", "chain of 3 forks or more"] += 1
            if len(self.children(pid)) == 5:
                c["fork", "5 or more children of one parent"] += 1
            if len(self.live) == 10:
                c["fork", "10 or more live processes"] += 1
            if pid in self.base:
                self.base[child] = self.base[pid]
                self.brk[child] = self.brk[pid]
        elif verb == "exec":
            c["exec", "exec"] += 1
            if self.children(pid):
                c["exec", "exec of a parent with live children"] += 1
            self.base.pop(pid, None)
        elif verb == "exit":
            c["exit", "exit"] += 1
            if self.children(pid):
                c["exit", "exit of a parent with live children"] += 1
            del self.live[pid]
            if not self.live:
                c["exit", "exit of the last live process"] += 1
        elif verb == "mmap":
            addr, ln, prot, flags = num(a[0]), num(a[1]), a[2], a[3].split(",")
            fl = set(flags)
            kind = ("shared" if "shared" in fl else "private") + \
                   (",anon" if "anon" in fl else " file")
            c["mmap", "kind " + kind] += 1
            c["mmap", "prot " + prot] += 1
            for f in ("fixed", "noreplace", "populate", "locked", "noreserve"):
                if f in fl:
                    c["mmap", "flag " + f] += 1
            if {"fixed", "noreplace"} <= fl:
                c["mmap", "fixed+noreplace"] += 1
            if {"populate", "locked"} <= fl:
                c["mmap", "populate+locked"] += 1
            if {"populate", "locked", "noreserve"} <= fl:
                c["mmap", "populate+locked+noreserve"] += 1
            fixed = "fixed" in fl or "noreplace" in fl
            if addr == 0:
                c["mmap", "addr 0"] += 1
            else:
                c["mmap", ("fixed " if fixed else "hint ") +
                  ("unaligned" if addr % PG else "aligned")] += 1
            if ln == 0:
                c["mmap", "len 0"] += 1
            elif addr + pg_up(ln) >= U64 or pg_up(ln) >= U64:
                c["mmap", "len wrapping past 2^64"] += 1
            elif ln > TASK_SIZE:
                c["mmap", "len past the address space"] += 1
            elif ln % PG:
                c["mmap", "len unaligned"] += 1
            else:
                c["mmap", "len a page multiple"] += 1
                if ln % (2 << 20) == 0:
                    c["mmap", "len 2 MiB multiple"] += 1
            if "anon" not in fl:
                off, size = num(a[5]), self.size[a[4]]
                if off % PG:
                    c["mmap", "offset unaligned"] += 1
                elif off < size:
                    c["mmap", "offset aligned inside the file"] += 1
                if off >= pg_up(size):
                    c["mmap", "offset at or past EOF"] += 1
                if off >= size + (1 << 30):
                    c["mmap", "offset >= 2^30 past EOF"] += 1
                if off > MAX_LFS:
                    c["mmap", "offset >= 2^63"] += 1
        elif verb in ("munmap", "mprotect", "madvise", "mlock", "munlock"):
            self.range_call(verb, num(a[0]), num(a[1]))
            if verb == "mprotect":
                c["mprotect", "prot " + a[2]] += 1
            if verb == "madvise":
                c["madvise", "advice " + a[2]] += 1
        elif verb == "mremap":
            addr, ol, nl, fl = num(a[0]), num(a[1]), num(a[2]), a[3]
            s = set(fl.split(",")) - {"-"}
            canon = ",".join(f for f in ("maymove", "fixed", "dontunmap") if f in s) or "-"
            c["mremap", "flags " + canon] += 1
            if "dontunmap" in s and "fixed" not in s:
                c["mremap", "dontunmap without fixed, " +
                  ("with a hint" if len(a) > 4 else "no hint")] += 1
            if addr % PG:
                c["mremap", "addr unaligned"] += 1
            if ol == 0:
                c["mremap", "old_len 0"] += 1
            elif ol % PG:
                c["mremap", "old_len unaligned"] += 1
            if nl == 0:
                c["mremap", "new_len 0"] += 1
            elif nl % PG:
                c["mremap", "new_len unaligned"] += 1
            if addr + ol >= U64 or addr + nl >= U64 or pg_up(ol) >= U64 or pg_up(nl) >= U64:
                c["mremap", "len wrapping past 2^64"] += 1
            elif ol and nl:
                c["mremap", "grow" if pg_up(nl) > pg_up(ol) else
                  "shrink" if pg_up(nl) < pg_up(ol) else "same length"] += 1
            if len(a) > 4 and num(a[4]) % PG:
                c["mremap", "new_addr unaligned"] += 1
        elif verb == "brkbase":
            addr = num(a[0])
            c["brkbase", "unaligned" if addr % PG else "aligned"] += 1
            if pid in self.base:
                c["brkbase", "again in the same process"] += 1
            self.base[pid] = self.brk[pid] = addr
        elif verb == "brk":
            nb = num(a[0])
            base, cur = self.base.get(pid, 0), self.brk.get(pid, 0)
            if nb == 0:
                c["brk", "0"] += 1
            elif nb >= 1 << 47:
                c["brk", "past the address space"] += 1
            elif nb < base:
                c["brk", "below base"] += 1
            else:
                if nb == base:
                    c["brk", "back to base"] += 1
                if nb % PG:
                    c["brk", "unaligned"] += 1
                else:
                    c["brk", "to a page boundary"] += 1
                if nb > cur:
                    c["brk", "grow"] += 1
                elif nb < cur:
                    c["brk", "shrink"] += 1
                self.brk[pid] = nb
        elif verb == "remap_file_pages":
            addr, ln, pgoff = num(a[0]), num(a[1]), num(a[2])
            if addr % PG:
                c["remap_file_pages", "addr unaligned"] += 1
            if ln == 0:
                c["remap_file_pages", "size 0"] += 1
            elif ln < PG:
                c["remap_file_pages", "size < page"] += 1
            elif ln % PG:
                c["remap_file_pages", "size unaligned"] += 1
            if pgoff + ln // PG >= U64:
                c["remap_file_pages", "pgoff wrapping"] += 1
        elif verb in ("r", "w"):
            self.access(verb, num(a[0]))
            if verb == "w":
                if len(a) > 1:
                    c["w", "with a value"] += 1
                    if num(a[1]) == 0:
                        c["w", "value 0"] += 1
                else:
                    c["w", "without a value"] += 1
        elif verb == "touch":
            addr, ln, rw = num(a[0]), num(a[1]), a[2]
            if addr % PG:
                c["touch", "addr unaligned"] += 1
            if ln == 0:
                c["touch", "len 0"] += 1
            elif ln < PG:
                c["touch", "len < page"] += 1
            elif ln % PG:
                c["touch", "len unaligned"] += 1
            else:
                c["touch", "len a page multiple"] += 1
            c["touch", rw] += 1
            if rw == "w" and len(a) > 3:
                c["touch", "w with a value"] += 1


def main(argv):
    gen, seeds, opts, paths = None, 0, [], []
    i = 0
    while i < len(argv):
        if argv[i] == "--gen":
            gen = argv[i + 1]
            i += 2
        elif argv[i] == "--seeds":
            seeds = int(argv[i + 1])
            i += 2
        elif argv[i] == "--opt":
            opts.append(argv[i + 1])
            i += 2
        else:
            paths.append(argv[i])
            i += 1
    c = Counter()
    texts = []
    for p in paths:
        with open(p) as f:
            texts.append(f.read())
    if gen:
        for o in opts or [""]:
            for s in range(1, seeds + 1):
                texts.append(subprocess.run([gen, str(s)] + o.split(), check=True,
                                            capture_output=True, text=True).stdout)
    for text in texts:
        tr = Trace(c)
        for raw in text.splitlines():
            tr.line(raw)
    for k, n in SHAPES:
        print(f"{k}\t{n}\t{c[k, n]}")


if __name__ == "__main__":
    main(sys.argv[1:])
