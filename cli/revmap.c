/*
 * cli/revmap.c - the revmap command.
 *
 *   revmap replay [OPTIONS] TRACE     run a trace ('-': standard input)
 *   revmap info                       version, metadata sizes, schemes
 *   revmap bench core [OPTIONS]       revmap against this machine's kernel
 *   revmap bench scale [OPTIONS]      what --check, --dump and --mem 1T cost
 *   revmap bench rmap [OPTIONS]       every rmap scheme on the hard cases
 *   revmap bench reclaim [OPTIONS]    every scheme and policy under pressure
 *   revmap bench [OPTIONS]            the suite: every workload and scheme
 *   revmap sweep --jobs|--run [...]   workloads x schemes x memory x policy
 *   revmap report DIR|FILE...         the suite's table from result files
 *   revmap capture -o TRACE -- CMD    record a real program into a trace
 *   revmap help [COMMAND]             the commands, or one command's help
 *   revmap --version                  the version alone
 *
 * Every command answers `--help` (and `-h`) and `revmap help COMMAND` with
 * the same text, on standard output, exit 0.  A usage error is one line on
 * standard error, "revmap: COMMAND: what is wrong; see 'revmap help
 * COMMAND'", exit 2.  An option that takes a value takes it as the next
 * argument or after '=' (--mem 64M, --mem=64M).
 *
 * It uses the public API (include/revmap.h) and, for `bench`, the benchmarks
 * (bench/bench.h), which are this program's and not the library's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "revmap.h"
#include "../bench/bench.h"
#include "capture.h"

#define EXIT_USAGE 2

/* Where the trace format is explained, for the help texts. */
#define FORMAT_DOC \
	"The trace and dump format: docs/trace-format.md in the source tree,\n" \
	"installed as share/doc/revmap/trace-format.md under the install prefix\n" \
	"(/usr/local by default).  See also revmap(1).\n"

static const char replay_help[] =
	"usage: revmap replay [OPTIONS] TRACE\n"
	"\n"
	"Runs TRACE, a text file of events (processes, files, memory system calls,\n"
	"loads and stores), on a simulated machine whose virtual memory behaves as\n"
	"Linux 6.x does, and checks each '= result' written on a line against what\n"
	"happened.  TRACE '-' reads the trace from standard input (messages then\n"
	"call it <stdin>); a trace compressed with gzip or zstd (.trace.gz,\n"
	".trace.zst) is read as it is.  The whole trace is read first: a line\n"
	"that does not parse is reported as 'revmap: FILE:LINE: ...' and\n"
	"nothing runs.\n"
	"\n"
	"Options:\n"
	"  --dump FILE        write the dump (each line's result, then every\n"
	"                     process's mappings and present pages, in the\n"
	"                     canonical form that diff(1) compares with the real\n"
	"                     kernel's) to FILE; '-' writes it on standard output\n"
	"  --check            after each event, check the structures it changed;\n"
	"                     check the whole machine at 'check' lines and at the end\n"
	"  --check=full       run every checker over the whole machine after every\n"
	"                     event (slow: the oracle)\n"
	"  --mem SIZE         memory of the simulated machine, in bytes with an\n"
	"                     optional K, M, G or T suffix; at least 64K, less\n"
	"                     than 16T (default 1G)\n"
	"  --times FILE       write one line 'LINE NS' per event to FILE: its line\n"
	"                     number and the wall-clock nanoseconds it took\n"
	"  --stats FILE       after the run, write its statistics as JSON to FILE\n"
	"                     ('-': standard output): the scheme, its metadata bytes\n"
	"                     (now and at the peak) and objects, the frames held by\n"
	"                     metadata, the rmap walks' exact work (walks, VMAs\n"
	"                     visited, PTEs probed and found, fallbacks; pages'\n"
	"                     back-pointers repointed, the VMAs and PTEs looked\n"
	"                     at for it), the walks by reason, the reclaim work,\n"
	"                     the VM's work\n"
	"  --scheme NAME      the reverse-mapping scheme: avc (Linux's anon_vma\n"
	"                     chains, the default; linux is another name for it),\n"
	"                     scan (no reverse map: search every page table),\n"
	"                     vmaoff (Keith's (vma, offset) entry for a page mapped\n"
	"                     once, else the search), vmaring (LaHaise 1998: a VMA\n"
	"                     pointer per page and a ring of the VMAs that may\n"
	"                     share pages), anonvma (Linux 2.6.7's anon_vma: a\n"
	"                     list of VMAs per fork family, walked whole),\n"
	"                     anonlayer (Miller's anon_area per fork family: a list\n"
	"                     of its VMAs, pages indexed by pgoff), astree\n"
	"                     (Lokier's tree of address spaces: a new space at the\n"
	"                     first COW after fork, the walk visits the subtree of\n"
	"                     the page's space), vmainode (LaHaise 1998 (b):\n"
	"                     per-VMA objects, two new ones at each fork pointing\n"
	"                     to the old, a page found by walking its object's\n"
	"                     subtree), mminode (LaHaise 1998 (c): a per-mm\n"
	"                     inode shared on fork, a page at its virtual address,\n"
	"                     aliases on mremap), ptechain (Linux 2.5.27 to\n"
	"                     2.6.6: every mapped page keeps the addresses of the\n"
	"                     PTEs that map it, one in the page, more in chained\n"
	"                     blocks of 7) or objrmap (McCracken 2003: file pages\n"
	"                     found through i_mmap, anonymous pages chained, and\n"
	"                     file PTEs away from their offset (remap_file_pages)\n"
	"                     chained with the map count in the first block).\n"
	"                     'revmap info' lists them; no scheme changes a\n"
	"                     result or a dump.\n"
	"  --compact-evict none|lru|targeted\n"
	"                     what 'compact ORDER' does when free memory is too\n"
	"                     short to migrate a block's pages: none, the default,\n"
	"                     answers -ENOMEM (Linux's compaction); lru reclaims\n"
	"                     from the LRU lists' tails and compacts again (Linux's\n"
	"                     direct reclaim); targeted evicts the pages of the\n"
	"                     cheapest candidate block through the reverse map\n"
	"                     (lumpy reclaim; seed 003's \"intelligently chosen\n"
	"                     swapping\").  compact never moves or evicts mlocked,\n"
	"                     pinned or kernel pages\n"
	"  --reclaim lru|virtual\n"
	"                     how reclaim finds pages when memory runs short: lru,\n"
	"                     the default, takes them from the LRU lists and finds\n"
	"                     their mappings through the rmap scheme; virtual scans\n"
	"                     the address spaces' page tables round robin and takes\n"
	"                     what it meets, as Linux 2.4 did without a reverse map\n"
	"  --swap SIZE        a swap device of SIZE bytes (K, M, G or T suffix;\n"
	"                     default none): reclaim then writes private anonymous\n"
	"                     pages to it, and faults read them back.  It is a\n"
	"                     host file made in $TMPDIR (default /tmp) and\n"
	"                     removed at once; 'swapoff' lines bring every page\n"
	"                     back and turn it off\n"
	"  --pkeys on|off|host\n"
	"                     whether the simulated x86 CPU has protection keys;\n"
	"                     with them Linux makes execute-only (--x) memory\n"
	"                     unreadable.  host, the default, follows the CPU that\n"
	"                     revmap runs on\n"
	"  --nonlinear        remap_file_pages keeps one VMA whose pages come from\n"
	"                     any offset of the file (VM_NONLINEAR, file PTEs that\n"
	"                     remember an offset), as Linux 2.6.32 did for tmpfs\n"
	"                     and shared memory, instead of 6.x's emulation by\n"
	"                     new mappings; fork copies such a VMA's PTEs\n"
	"  --lowmem SIZE      the first SIZE bytes of memory (K, M, G or T suffix;\n"
	"                     64K or more, and 64K less than --mem) are a low zone,\n"
	"                     as on the 32-bit machines of the rmap debate: kernel\n"
	"                     metadata (VMAs, address spaces, the anonymous\n"
	"                     identity, every scheme's objects such as pte_chain\n"
	"                     blocks, page tables) lives only there, user pages\n"
	"                     in the rest first.  When it runs short, reclaim\n"
	"                     frees its user pages, then the OOM killer runs (or\n"
	"                     the call fails with ENOMEM); --stats shows its use\n"
	"                     per object type\n"
	"  --highpte          with --lowmem: PTE tables may live above the low zone\n"
	"                     (CONFIG_HIGHPTE); the upper levels stay low\n"
	"  -h, --help         print this help\n"
	"An option's value may be the next argument or follow an '=' (--mem 64M,\n"
	"--mem=64M).\n"
	"\n"
	"Testing option:\n"
	"  --fail-alloc N     fault injection: the Nth allocation of frames or\n"
	"                     kernel objects (counted from 1 over the whole run)\n"
	"                     fails, as if memory had run out; 0 (the default) never\n"
	"  --fail-swap-io N   fault injection: the Nth read or write of the swap\n"
	"                     device (counted together from 1) fails: a page that\n"
	"                     could not be written stays in memory, an access that\n"
	"                     needed a page that could not be read is 'bus'\n"
	"\n"
	"Exit status:\n"
	"  0  the trace ran and every '= result' matched\n"
	"  1  it ran, and some '= result' did not match (each one is reported as\n"
	"     'revmap: FILE:LINE: expected X, got Y')\n"
	"  2  bad arguments or bad input (a malformed trace, a trace or host file\n"
	"     that cannot be read): nothing ran.  Also when the machine's memory\n"
	"     cannot hold a 'file' (the run stops at that line) or the dump or\n"
	"     times file cannot be written\n"
	"  3  a checker found the machine inconsistent (the run stops there)\n"
	"\n"
	"Examples:\n"
	"  revmap replay examples/tour.trace --check --dump -\n"
	"      the tour of the source tree, checked as it runs, its dump on stdout\n"
	"  revmap replay t.trace --mem=64M --dump t.dump --times t.times\n"
	"  build/gentrace 7 | revmap replay - --check=full\n"
	"      a random trace from the source tree's generator, every checker on\n"
	"\n"
	FORMAT_DOC;

static const char info_help[] =
	"usage: revmap info\n"
	"\n"
	"Prints the version of revmap, the size in bytes of its metadata\n"
	"structures (a frame descriptor, a VMA, an address space) and the\n"
	"reverse-mapping schemes it has.  It takes no options but --help.\n"
	"\n"
	"Example:\n"
	"  revmap info\n";

static const char bench_help[] =
	"usage: revmap bench [SUITE OPTIONS]\n"
	"       revmap bench --one SOURCE [SUITE OPTIONS]\n"
	"       revmap bench core [OPTIONS]\n"
	"       revmap bench scale [--json FILE] [--full]\n"
	"       revmap bench rmap [--quick] [--json FILE] [--mem SIZE] [--scheme LIST]\n"
	"       revmap bench reclaim [--quick] [--json FILE] [--scheme LIST]\n"
	"\n"
	"Benchmarks.  Without a name, the standard suite: every shipped workload\n"
	"trace (each *.trace, *.trace.gz and *.trace.zst of the workloads\n"
	"directory, by name; none: said on standard error, and the generated\n"
	"cases alone) and bench rmap's generated hard cases (chain, prefork,\n"
	"filemap, filemap-mlock, mremap, mlock) at its sizes, each replayed under\n"
	"every scheme in one run, and ONE table: per workload and scheme, the\n"
	"reverse map's peak metadata bytes, the walk precision (PTEs found /\n"
	"PTEs probed walking every mapped frame once, as bench rmap: at the end,\n"
	"or if nothing is mapped then, after the line with the most PTEs), ns per\n"
	"walk, fork (ns per page), fault (ns per fault), unmap (ns per PTE munmap and\n"
	"exit zap), reclaim (ns per page reclaimed), the total time, and revmap's\n"
	"ns per page / Linux's for fork, fault and unmap (X/L: bench core's Linux\n"
	"side, measured in the same run; '-' where it cannot be, why on\n"
	"standard error).  A replay that does not read what its trace says (a\n"
	"'= result'), a failed check, or schemes that leave different states\n"
	"(without reclaim or OOM kills) fail it.  Times are the median of 3 runs\n"
	"(the schemes taking turns), after an untimed replay of each workload.\n"
	"On a terminal a progress line\n"
	"on standard error says which workload and scheme run.  --one runs one\n"
	"workload (a trace, or gen:CASE) under --scheme: a sweep's job.\n"
	"\n"
	"Options (of the suite):\n"
	"  --workloads DIR    the traces (default: workloads/ in the current\n"
	"                     directory if there is one, else\n"
	"                     PREFIX/share/revmap/workloads)\n"
	"  --json FILE        write every cell as JSON (default bench.json in the\n"
	"                     current directory); revmap report reads it\n"
	"  --plots DIR        draw SVG plots with gnuplot into DIR (metadata bytes,\n"
	"                     ns per walk, precision, total time: per scheme per\n"
	"                     workload); without gnuplot a warning, and exit 0\n"
	"  --quick            the generated cases at bench rmap --quick's sizes,\n"
	"                     one run each (under a minute)\n"
	"  --one SOURCE       one workload: a trace's path, or gen:CASE\n"
	"  --scheme LIST      only these schemes, as for bench rmap\n"
	"  --mem SIZE         memory of each machine (default 1G)\n"
	"  --swap SIZE        a swap device of SIZE on each machine (default none)\n"
	"  --reclaim lru|virtual  the reclaim policy (default lru)\n"
	"  --counts-only      print only the exact columns (bytes and counts)\n"
	"  --no-host          do not measure the Linux kernel here\n"
	"\n"
	"core does the same work, per 4 KiB\n"
	"page, in revmap and on the real Linux kernel of this machine, the two\n"
	"pinned to one CPU and taking turns, and prints each side's time, their\n"
	"ratio, the exact work revmap did and the metadata bytes per mapped page;\n"
	"each figure is the median of 5 runs after a warm-up.  On a region of\n"
	"private anonymous memory: fork, first-touch write faults, copy-on-write\n"
	"faults, munmap and mremap to a free address.  On a file of the same size\n"
	"wholly in the page cache (on Linux a tmpfs file in /dev/shm), mapped\n"
	"shared and read-only: read faults by one process, then by each of N\n"
	"forked children in turn, then truncate to 0 under all of them.\n"
	"\n"
	"Options (of bench core):\n"
	"  --bytes SIZE       size of the region and of the file, in bytes with an\n"
	"                     optional K, M, G or T suffix; at least 1M, rounded up\n"
	"                     to whole pages (default 1G)\n"
	"  --json FILE        also write the whole report, every run included, as\n"
	"                     JSON to FILE\n"
	"  --mem SIZE         memory of the simulated machine (default: what the\n"
	"                     runs need, the larger of two copies of the region and\n"
	"                     the file with the page tables of 1 + N address\n"
	"                     spaces, plus 64M; less than that is refused)\n"
	"  --procs N          the number of forked readers of the file, 1 to 4096\n"
	"                     (default 100)\n"
	"  --scheme NAME      revmap's reverse-mapping scheme (as for replay;\n"
	"                     core and scale; rmap and reclaim take a list)\n"
	"  -h, --help         print this help\n"
	"An option's value may be the next argument or follow an '=' (--procs 10,\n"
	"--procs=10).\n"
	"\n"
	"At the defaults it takes about 2.5 minutes and needs about 4.2 GiB of\n"
	"free memory.\n"
	"\n"
	"scale measures what checking, dumping and a big machine cost against the\n"
	"plain work, each case in a process of its own (median of 3 runs, peak\n"
	"host memory): a parent of 2048 pages forking 250 children replayed\n"
	"without checking and with --check (and 50 children with --check=full);\n"
	"a 256 MiB parent forking 50 children, without and with --check; the dump\n"
	"of a parent of 512 pages and 10,000 children against printing the same\n"
	"lines without digests; the tour on a 1 TiB and a 1 GiB machine.  It\n"
	"prints each figure and whether its target is met, and takes about a\n"
	"minute and 320 MiB of memory.\n"
	"\n"
	"Options (of bench scale):\n"
	"  --json FILE        also write the figures as JSON to FILE\n"
	"  --full             also replay the 250-child trace with --check=full\n"
	"                     (some minutes)\n"
	"\n"
	"rmap replays the debate's hard cases (the traces of gentrace --kind:\n"
	"chain, prefork, filemap, filemap-mlock (filemap --mlock: every mapping\n"
	"shared and mlocked), mremap, mlock; hundreds of processes) under\n"
	"every registered scheme, the schemes taking turns, and prints per\n"
	"scheme and case: the peak reverse-map metadata and its bytes per\n"
	"present PTE, the precision of walking every mapped frame once (PTEs\n"
	"found / PTEs probed), VMAs and ns per walk, and fork, munmap and exit\n"
	"ns per page and ns per fault (median of 3 runs); under a table, the\n"
	"PTEs a scheme kept as counts in place of mlocked pages' chains, and\n"
	"the bytes of chains it did not hold.  The schemes must\n"
	"leave the same state, or the run fails.  It takes about 2 minutes with\n"
	"eleven schemes (scan's searches the most) and 250 MiB of memory.\n"
	"\n"
	"Options (of bench rmap):\n"
	"  --quick            cases a quarter the size, one run (about a second)\n"
	"  --json FILE        also write every figure and run as JSON to FILE\n"
	"  --mem SIZE         memory of each simulated machine (default 1G)\n"
	"  --scheme LIST      only these schemes, in this order, names separated\n"
	"                     by commas (default: every registered scheme; the\n"
	"                     first is the one whose state the others must equal)\n"
	"\n"
	"reclaim replays the same cases under memory pressure, every scheme with\n"
	"--reclaim lru and with --reclaim virtual, on a machine of half the\n"
	"frames the case uses at most, with swap for twice that, and prints per\n"
	"run: the frames reclaim freed and how many per second of reclaim, the\n"
	"PTEs and VMAs the rmap walks looked at and the PTEs the virtual scan\n"
	"looked at, per freed frame, the pages swapped out and in, and OOM\n"
	"kills (median of 3 runs).  Then the high-order runs (prefork, filemap,\n"
	"mremap): every scheme again with 'compact 5' after every 8 events,\n"
	"with --compact-evict lru and with targeted: the blocks had, and the\n"
	"pages evicted and migrated per block.  Then the machine of 2003: gentrace\n"
	"--kind db (a server and 300 workers sharing a data file and shared\n"
	"memory), with and without --mlock, on 256 MiB with a low zone of 8 MiB\n"
	"(--highpte) or 12 MiB: per scheme the OOM kills, the metadata\n"
	"allocations refused, the low frames used at most, the reverse map's\n"
	"peak bytes.  Every run must read what the case reads on a big machine,\n"
	"or the benchmark fails.\n"
	"\n"
	"Options (of bench reclaim):\n"
	"  --quick            smaller cases, one run\n"
	"  --json FILE        also write every figure as JSON to FILE\n"
	"  --scheme LIST      only these schemes, as for bench rmap\n"
	"\n"
	"Exit status: 0 done; 1 a run failed or the JSON could not be written;\n"
	"2 bad arguments; (scale) 3 a run failed.\n"
	"\n"
	"Examples:\n"
	"  revmap bench --quick --plots plots\n"
	"  revmap bench --one gen:chain --scheme avc --mem 8M --swap 8M --json c.json\n"
	"  revmap bench core\n"
	"  revmap bench core --bytes 64M --procs 10 --json bench.json\n"
	"  revmap bench scale --json scale.json\n"
	"  revmap bench rmap --quick\n"
	"  revmap bench rmap --scheme avc,astree,mminode --json trees.json\n"
	"  revmap bench reclaim --quick\n";

static const char sweep_help[] =
	"usage: revmap sweep --jobs [--quick] [--workloads DIR] [LISTS]\n"
	"       revmap sweep --run [--quick] [--workloads DIR] [LISTS] [OUTPUT]\n"
	"\n"
	"A sweep is the suite's workloads x schemes x memory sizes x reclaim\n"
	"policies, one cell each (below 1G the machine has swap as big as its\n"
	"memory).  --jobs prints one command line per cell, a 'revmap bench\n"
	"--one' with absolute paths that writes its result into the current\n"
	"directory as WORKLOAD.SCHEME.MEM.POLICY[.quick].json; run them anywhere\n"
	"(GNU parallel here or on other machines over ssh, a Slurm job array)\n"
	"and merge the files with 'revmap report'.  --run runs the same cells\n"
	"here, one after another, and prints the table that report prints of\n"
	"their files; a progress line on standard error when it is a terminal.\n"
	"\n"
	"Options:\n"
	"  --jobs             print the jobs\n"
	"  --run              run them here\n"
	"  --quick            a small sweep: the first trace and the chain case\n"
	"                     (at --quick's sizes), avc and ptechain, 1G and 2M,\n"
	"                     lru and virtual\n"
	"  --workloads DIR    the traces, as for bench\n"
	"  --scheme LIST      the schemes (default: every one)\n"
	"  --mem LIST         the memory sizes (default 1G,64M)\n"
	"  --reclaim LIST     the policies (default lru,virtual)\n"
	"  --no-host          the jobs do not measure the Linux kernel here\n"
	"  --counts-only, --json FILE, --plots DIR   (--run) as for report\n"
	"\n"
	"Examples:\n"
	"  revmap sweep --jobs --quick >jobs; parallel -j2 <jobs; revmap report .\n"
	"  revmap sweep --run --quick --counts-only\n";

static const char report_help[] =
	"usage: revmap report [--counts-only] [--json OUT] [--plots DIR] DIR|FILE...\n"
	"\n"
	"Merges result files (a sweep's jobs', revmap bench --json's; a DIR is\n"
	"every *.json in it) into the suite's table, in the suite's order: the\n"
	"traces by name, the generated cases, then memory, policy and scheme.\n"
	"The X/L columns divide by the median of the files' Linux figures.  A\n"
	"file that is not a result, or a cell found twice, is an error (exit 1).\n"
	"\n"
	"Options:\n"
	"  --counts-only      print only the table's exact columns (bytes, counts,\n"
	"                     their ratios): the same for a sweep's files as for\n"
	"                     the same sweep's --run, byte for byte\n"
	"  --json OUT         write the merged cells as JSON (not into a DIR read)\n"
	"  --plots DIR        draw the suite's SVG plots into DIR\n"
	"\n"
	"Example:\n"
	"  revmap report --plots plots results/\n";
static const char capture_help[] =
	"usage: revmap capture -o TRACE [--portable] [--strace] [--keep-script FILE] [--]\n"
	"                      COMMAND [ARGS]\n"
	"       revmap capture -o TRACE [--portable] [--strace] --from SCRIPT\n"
	"\n"
	"Runs COMMAND on this machine under perf record and writes what it and\n"
	"all its children did to their memory as a trace: mmap, munmap, mremap,\n"
	"mprotect, brk, madvise, mlock, munlock with their results ('= result'),\n"
	"fork, exec and exit, and a read or a write for every page fault\n"
	"(exceptions:page_fault_user, and page_fault_kernel at user addresses:\n"
	"the kernel's copies to and from user memory).  Mappings execve makes\n"
	"(the ELF loader's segments, the stack, the vDSO) come from perf's MMAP2\n"
	"records.  Where the kernel chose an address, the trace says 'fixed' at\n"
	"that address, so replay does not depend on placement.  Threads fold\n"
	"into their process; a vfork or CLONE_VM child is its parent's address\n"
	"space until it execs.  Trace pids count from 1; comments give the real\n"
	"pids and programs.  The trace replays with no mismatch ('revmap replay\n"
	"TRACE --check'; a program whose mappings exceed 1G needs --mem).\n"
	"\n"
	"It needs root and perf (Debian: linux-perf), and mounts tracefs at\n"
	"/sys/kernel/tracing if it is not there.  If perf loses events the\n"
	"capture fails rather than write a trace that is not what happened.\n"
	"Where perf cannot record (not root, no perf, no tracepoints) it says why\n"
	"and records with strace instead, which sees the system calls but no page\n"
	"fault and none of the mappings execve makes: calls on memory it did not\n"
	"see are left out as comments, so the trace still replays as it ran.\n"
	"\n"
	"Options:\n"
	"  -o TRACE           the trace to write ('-': standard output)\n"
	"  --portable         files as 'file' lines of their size (contents made\n"
	"                     up), not 'hostfile' lines that name this machine's\n"
	"                     files: the trace then replays on any machine\n"
	"                     (deleted and special files are 'file' lines always)\n"
	"  --strace           record with strace, not perf (with --from: SCRIPT is\n"
	"                     strace -f -q -X raw -y's output)\n"
	"  --keep-script FILE keep perf script's (or strace's) text in FILE\n"
	"  --from SCRIPT      convert perf script's text recorded earlier (perf\n"
	"                     script -F pid,tid,time,event,trace --show-mmap-events\n"
	"                     --show-lost-events; '-': standard input) instead of\n"
	"                     running a command\n"
	"  -h, --help         print this help\n"
	"\n"
	"What a trace cannot hold: accesses that take no fault (pages already\n"
	"present), accesses the kernel makes without one (get_user_pages:\n"
	"futexes, O_DIRECT, ptrace, execve's copy of the arguments), calls it\n"
	"does not follow (shmat, mlockall, remap_file_pages), and memory contents.\n"
	"\n"
	"Exit status: 0 written; 1 the recording or the conversion failed; 2 bad\n"
	"arguments.\n"
	"\n"
	"Examples:\n"
	"  revmap capture -o make.trace -- make -j2\n"
	"  revmap capture -o ls.trace --portable --keep-script ls.perf.txt -- ls -l\n"
	"  revmap capture -o ls2.trace --from ls.perf.txt\n";

static const char help_help[] =
	"usage: revmap help [COMMAND]\n"
	"\n"
	"Without COMMAND, lists the commands; with it, prints that command's help\n"
	"(the same as 'revmap COMMAND --help').\n"
	"\n"
	"Example:\n"
	"  revmap help replay\n";

static int cmd_replay(int argc, char **argv);
static int cmd_info(int argc, char **argv);
static int cmd_bench(int argc, char **argv);
static int cmd_help(int argc, char **argv);
static int cmd_sweep(int argc, char **argv);
static int cmd_report(int argc, char **argv);
static int cmd_capture(int argc, char **argv);

static const struct command {
	const char *name;          /* as typed after revmap */
	const char *summary;       /* one line, for the list of commands */
	const char *help;          /* revmap help NAME */
	int (*run)(int argc, char **argv);  /* argv: what follows NAME */
} commands[] = {
	{ "replay", "run a trace, check its results, write its dump", replay_help, cmd_replay },
	{ "info", "print the version, metadata sizes and rmap schemes", info_help, cmd_info },
	{ "bench", "the suite; revmap against this kernel (core), its own costs (scale)",
	  bench_help, cmd_bench },
	{ "sweep", "workloads x schemes x memory x policy: the jobs, or run them",
	  sweep_help, cmd_sweep },
	{ "report", "merge result files into the suite's table and plots", report_help,
	  cmd_report },
	{ "capture", "record a real program (perf) into a trace", capture_help, cmd_capture },
	{ "help", "list the commands, or print one command's help", help_help, cmd_help },
};
#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct command *command_find(const char *name)
{
	for (size_t i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void list_commands(FILE *f)
{
	fprintf(f,
		"usage: revmap COMMAND [ARGUMENTS]\n"
		"       revmap --version\n"
		"\n"
		"revmap runs traces of memory events on a user-space model of the Linux 6.x\n"
		"virtual-memory system, with pluggable reverse mapping, and writes a dump\n"
		"that compares, byte for byte, with what the real kernel does.\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < NR_COMMANDS; i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f,
		"\n"
		"Options:\n"
		"  -h, --help         print this list\n"
		"  --version          print the version\n"
		"\n"
		"'revmap help COMMAND' or 'revmap COMMAND --help' explains a command and\n"
		"its options.\n"
		"\n"
		FORMAT_DOC);
}

/* One usage error: a line on stderr.  => returns the exit status, 2. */
#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "revmap: ");
	if (cmd)
		fprintf(stderr, "%s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "; see 'revmap help%s%s'\n", cmd ? " " : "", cmd ? cmd : "");
	return EXIT_USAGE;
}

static int print_help(const struct command *c)
{
	fputs(c->help, stdout);
	return 0;
}

/* ---------------------------------------------------------------- options */

/* How an option takes a value. */
enum opt_value {
	OPT_NONE,       /* --name */
	OPT_VALUE,      /* --name VALUE or --name=VALUE */
	OPT_OPTIONAL,   /* --name, or --name=VALUE */
};

struct opt_spec {
	const char *name;          /* "--dump" */
	enum opt_value value;      /* whether it takes a value */
};

/* One option as found on the command line. */
struct opt_found {
	const struct opt_spec *spec; /* which one; NULL: not an option */
	const char *value;         /* its value, or NULL */
};

/*
 * Read argv[*i] as an option of specs (a table ending with a NULL name).
 * => returns 0 with *out, having consumed the value's argument when it is
 *    separate (*i moves past it); out->spec is NULL for an argument that is
 *    no option ('-' alone is none: it names standard input)
 * => returns 2 after a usage error (unknown option, value missing or
 *    unwanted)
 */
static int opt_next(const char *cmd, const struct opt_spec *specs, int argc, char **argv,
		    int *i, struct opt_found *out)
{
	const char *a = argv[*i], *eq;
	size_t n;

	out->spec = NULL;
	out->value = NULL;
	if (a[0] != '-' || !a[1])
		return 0;
	eq = strchr(a, '=');
	n = eq && a[1] == '-' ? (size_t)(eq - a) : strlen(a);
	for (const struct opt_spec *s = specs; s->name; s++) {
		if (strlen(s->name) != n || strncmp(s->name, a, n))
			continue;
		out->spec = s;
		if (a[n] == '=') {
			if (s->value == OPT_NONE)
				return usage_error(cmd, "%s takes no value", s->name);
			out->value = a + n + 1;
		} else if (s->value == OPT_VALUE) {
			if (*i + 1 >= argc)
				return usage_error(cmd, "%s needs a value", s->name);
			out->value = argv[++*i];
		}
		if (out->value && !out->value[0])
			return usage_error(cmd, "%s needs a value, not ''", s->name);
		return 0;
	}
	return usage_error(cmd, "unknown option '%s'", a);
}

/* A count: decimal digits only.  => 0, or -1 if str is not one. */
static int parse_count(const char *str, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (str[0] < '0' || str[0] > '9')
		return -1;
	errno = 0;
	v = strtoull(str, &end, 10);
	if (*end || errno)
		return -1;
	*out = v;
	return 0;
}

/* ---------------------------------------------------------------- commands */

static const struct opt_spec replay_opts[] = {
	{ "--dump", OPT_VALUE }, { "--check", OPT_OPTIONAL }, { "--mem", OPT_VALUE },
	{ "--times", OPT_VALUE }, { "--scheme", OPT_VALUE }, { "--pkeys", OPT_VALUE },
	{ "--reclaim", OPT_VALUE }, { "--nonlinear", OPT_NONE }, { "--compact-evict", OPT_VALUE },
	{ "--lowmem", OPT_VALUE }, { "--highpte", OPT_NONE },
	{ "--stats", OPT_VALUE }, { "--swap", OPT_VALUE }, { "--fail-swap-io", OPT_VALUE },
	{ "--fail-alloc", OPT_VALUE }, { "--help", OPT_NONE }, { "-h", OPT_NONE },
	{ NULL, OPT_NONE }
};

static int cmd_replay(int argc, char **argv)
{
	struct rv_options opt = { 0 };
	const char *trace = NULL, *dump = NULL, *times = NULL, *stats = NULL;
	struct opt_found o;
	char err[256];
	rv_sim *s;
	int st;

	for (int i = 0; i < argc; i++) {
		const char *v;

		if (opt_next("replay", replay_opts, argc, argv, &i, &o))
			return EXIT_USAGE;
		v = o.value;
		if (!o.spec) {
			if (trace)
				return usage_error("replay", "one TRACE only, not also '%s'",
						   argv[i]);
			trace = argv[i];
		} else if (!strcmp(o.spec->name, "--help") || !strcmp(o.spec->name, "-h")) {
			return print_help(command_find("replay"));
		} else if (!strcmp(o.spec->name, "--dump")) {
			dump = v;
		} else if (!strcmp(o.spec->name, "--times")) {
			times = v;
		} else if (!strcmp(o.spec->name, "--stats")) {
			stats = v;
		} else if (!strcmp(o.spec->name, "--scheme")) {
			opt.scheme = v;
		} else if (!strcmp(o.spec->name, "--nonlinear")) {
			opt.nonlinear = 1;
		} else if (!strcmp(o.spec->name, "--highpte")) {
			opt.highpte = 1;
		} else if (!strcmp(o.spec->name, "--lowmem")) {
			if (rv_parse_size(v, &opt.lowmem_bytes) || opt.lowmem_bytes < (64 << 10))
				return usage_error("replay", "bad --lowmem size '%s' "
						   "(at least 64K; K/M/G/T suffixes)", v);
		} else if (!strcmp(o.spec->name, "--check")) {
			if (!v)
				opt.check = RV_CHECK_EVENT;
			else if (!strcmp(v, "full"))
				opt.check = RV_CHECK_FULL;
			else
				return usage_error("replay", "--check takes no value or =full, "
						   "not '%s'", v);
		} else if (!strcmp(o.spec->name, "--pkeys")) {
			if (!strcmp(v, "on"))
				opt.pkeys = RV_PKEYS_ON;
			else if (!strcmp(v, "off"))
				opt.pkeys = RV_PKEYS_OFF;
			else if (!strcmp(v, "host"))
				opt.pkeys = RV_PKEYS_HOST;
			else
				return usage_error("replay", "--pkeys takes on, off or host, "
						   "not '%s'", v);
		} else if (!strcmp(o.spec->name, "--reclaim")) {
			if (!strcmp(v, "lru"))
				opt.reclaim = RV_RECLAIM_LRU;
			else if (!strcmp(v, "virtual"))
				opt.reclaim = RV_RECLAIM_VIRTUAL;
			else
				return usage_error("replay", "--reclaim takes lru or virtual, "
						   "not '%s'", v);
		} else if (!strcmp(o.spec->name, "--compact-evict")) {
			if (!strcmp(v, "none"))
				opt.compact_evict = RV_COMPACT_EVICT_NONE;
			else if (!strcmp(v, "lru"))
				opt.compact_evict = RV_COMPACT_EVICT_LRU;
			else if (!strcmp(v, "targeted"))
				opt.compact_evict = RV_COMPACT_EVICT_TARGETED;
			else
				return usage_error("replay", "--compact-evict takes none, lru or "
						   "targeted, not '%s'", v);
		} else if (!strcmp(o.spec->name, "--fail-alloc")) {
			if (parse_count(v, &opt.fail_alloc_at))
				return usage_error("replay", "bad --fail-alloc count '%s' "
						   "(a number)", v);
		} else if (!strcmp(o.spec->name, "--mem")) {
			if (rv_parse_size(v, &opt.mem_bytes) || opt.mem_bytes < (64 << 10))
				return usage_error("replay", "bad --mem size '%s' "
						   "(at least 64K; K/M/G/T suffixes)", v);
		} else if (!strcmp(o.spec->name, "--swap")) {
			if (rv_parse_size(v, &opt.swap_bytes) || opt.swap_bytes < (8 << 10) ||
			    opt.swap_bytes > (8ULL << 40))
				return usage_error("replay", "bad --swap size '%s' "
						   "(8K to 8T; K/M/G/T suffixes)", v);
		} else if (!strcmp(o.spec->name, "--fail-swap-io")) {
			if (parse_count(v, &opt.fail_swap_io_at))
				return usage_error("replay", "bad --fail-swap-io count '%s' "
						   "(a number)", v);
		}
	}
	if (!trace)
		return usage_error("replay", "no TRACE given ('-' reads standard input)");
	if (opt.fail_swap_io_at && !opt.swap_bytes)
		return usage_error("replay", "--fail-swap-io needs --swap");
	if (opt.highpte && !opt.lowmem_bytes)
		return usage_error("replay", "--highpte needs --lowmem");
	if (opt.lowmem_bytes && opt.lowmem_bytes + (64 << 10) > (opt.mem_bytes ? opt.mem_bytes
								 : 1ULL << 30))
		return usage_error("replay", "--lowmem must be at least 64K less than --mem "
				   "(the rest is the high zone)");
	s = rv_sim_new(&opt, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "revmap: %s\n", err);
		return EXIT_USAGE;
	}
	st = rv_replay_file(s, trace, dump, times, stderr);
	if (stats && st != RV_BADINPUT && rv_write_stats(s, stats, stderr) && st == RV_OK)
		st = RV_BADINPUT;
	rv_sim_free(s);
	return st;
}

static const struct opt_spec help_only[] = {
	{ "--help", OPT_NONE }, { "-h", OPT_NONE }, { NULL, OPT_NONE }
};

static int cmd_info(int argc, char **argv)
{
	struct rv_info i;
	struct opt_found o;

	if (argc > 0) {
		int k = 0;

		if (opt_next("info", help_only, argc, argv, &k, &o))
			return EXIT_USAGE;
		if (!o.spec || argc > 1)
			return usage_error("info", "unexpected argument '%s'",
					   argv[o.spec ? 1 : 0]);
		return print_help(command_find("info"));
	}
	rv_get_info(&i);
	printf("revmap %s\n", REVMAP_VERSION);
	printf("frame descriptor: %zu bytes\n", i.frame_bytes);
	printf("vma:              %zu bytes\n", i.vma_bytes);
	printf("address space:    %zu bytes\n", i.mm_bytes);
	printf("rmap schemes:     %s\n", i.schemes);
	return 0;
}

static const struct opt_spec bench_opts[] = {
	{ "--bytes", OPT_VALUE }, { "--json", OPT_VALUE }, { "--mem", OPT_VALUE },
	{ "--procs", OPT_VALUE }, { "--full", OPT_NONE }, { "--scheme", OPT_VALUE },
	{ "--quick", OPT_NONE }, { "--help", OPT_NONE },
	{ "-h", OPT_NONE },
	/* the suite's (and sweep's, report's) */
	{ "--workloads", OPT_VALUE }, { "--plots", OPT_VALUE }, { "--one", OPT_VALUE },
	{ "--swap", OPT_VALUE }, { "--reclaim", OPT_VALUE }, { "--no-host", OPT_NONE },
	{ "--counts-only", OPT_NONE }, { "--jobs", OPT_NONE }, { "--run", OPT_NONE },
	{ NULL, OPT_NONE }
};

/*
 * An option of the suite, a sweep or a report (cmd is which) into *so; the
 * lists of a sweep (--scheme, --mem, --reclaim) are kept as written.
 * => 1 if o was one of them, 0 if not, 2 after a usage error
 */
static int suite_opt(const char *cmd, const struct opt_found *o, struct suite_opts *so)
{
	const char *n = o->spec->name, *v = o->value;
	bool sweep = !strcmp(cmd, "sweep"), bench = !strcmp(cmd, "bench");
	static const char *const only[][2] = {
		{ "--workloads", "bench sweep" }, { "--plots", "bench sweep report" },
		{ "--one", "bench" }, { "--swap", "bench" }, { "--no-host", "bench sweep" },
		{ "--counts-only", "bench sweep report" }, { "--json", "bench sweep report" },
		{ "--quick", "bench sweep" }, { "--scheme", "bench sweep" },
		{ "--mem", "bench sweep" }, { "--reclaim", "bench sweep" },
	};
	size_t i;

	for (i = 0; i < sizeof(only) / sizeof(only[0]) && strcmp(only[i][0], n); i++)
		;
	if (i == sizeof(only) / sizeof(only[0]))
		return 0;
	if (!strstr(only[i][1], cmd))
		return usage_error(cmd, "%s is not an option of %s", n, cmd);
	if (!strcmp(n, "--workloads"))
		so->workloads = v;
	else if (!strcmp(n, "--plots"))
		so->plots = v;
	else if (!strcmp(n, "--one"))
		so->one = v;
	else if (!strcmp(n, "--json"))
		so->json = v;
	else if (!strcmp(n, "--no-host"))
		so->no_host = true;
	else if (!strcmp(n, "--counts-only"))
		so->counts_only = true;
	else if (!strcmp(n, "--quick"))
		so->quick = true;
	else if (!strcmp(n, "--scheme"))
		so->schemes = v;
	else if (sweep && !strcmp(n, "--mem"))
		so->mems = v;
	else if (sweep && !strcmp(n, "--reclaim"))
		so->policies = v;
	else if (bench && !strcmp(n, "--reclaim")) {
		if (strcmp(v, "lru") && strcmp(v, "virtual"))
			return usage_error(cmd, "--reclaim takes lru or virtual, not '%s'", v);
		so->policy = strcmp(v, "lru") ? RV_RECLAIM_VIRTUAL : RV_RECLAIM_LRU;
	} else if (!strcmp(n, "--mem")) {
		if (rv_parse_size(v, &so->mem) || so->mem < (64 << 10))
			return usage_error(cmd, "bad --mem size '%s' (at least 64K; K/M/G/T "
					   "suffixes)", v);
	} else if (!strcmp(n, "--swap")) {
		if (rv_parse_size(v, &so->swap) || so->swap < (8 << 10) ||
		    so->swap > (8ULL << 40))
			return usage_error(cmd, "bad --swap size '%s' (8K to 8T; K/M/G/T "
					   "suffixes)", v);
	}
	return 1;
}

/* revmap sweep and revmap report: their options, then the bench */
static int suite_cmd(const char *cmd, int argc, char **argv)
{
	struct suite_opts so = { 0 };
	struct opt_found o;
	bool jobs = false, run = false;
	int npaths = 0, r;

	for (int i = 0; i < argc; i++) {
		if (opt_next(cmd, bench_opts, argc, argv, &i, &o))
			return EXIT_USAGE;
		if (!o.spec) {
			if (strcmp(cmd, "report"))
				return usage_error(cmd, "unexpected argument '%s'", argv[i]);
			argv[npaths++] = argv[i];
		} else if (!strcmp(o.spec->name, "--help") || !strcmp(o.spec->name, "-h")) {
			return print_help(command_find(cmd));
		} else if (!strcmp(cmd, "sweep") && !strcmp(o.spec->name, "--jobs")) {
			jobs = true;
		} else if (!strcmp(cmd, "sweep") && !strcmp(o.spec->name, "--run")) {
			run = true;
		} else if ((r = suite_opt(cmd, &o, &so)) != 1) {
			return r ? r : usage_error(cmd, "unknown option '%s'", o.spec->name);
		}
	}
	if (!strcmp(cmd, "report")) {
		if (!npaths)
			return usage_error(cmd, "which result files? (a DIR or FILEs)");
		return bench_report(&so, argv, npaths, stdout);
	}
	if (jobs == run)
		return usage_error(cmd, "--jobs or --run, one of them");
	if (jobs && (so.counts_only || so.json || so.plots))
		return usage_error(cmd, "--counts-only, --json and --plots go with --run");
	return bench_sweep(&so, run, stdout);
}

static int cmd_sweep(int argc, char **argv)
{
	return suite_cmd("sweep", argc, argv);
}

static int cmd_report(int argc, char **argv)
{
	return suite_cmd("report", argc, argv);
}

static int cmd_bench(int argc, char **argv)
{
	struct rv_options opt = { 0 };
	struct suite_opts so = { 0 };
	uint64_t bytes = 1ULL << 30, procs = 0;
	const char *json = NULL, *name = NULL, *suite_only = NULL;
	bool full = false, quick = false, core_opts = false, mem = false;
	struct opt_found o;

	for (int i = 0; i < argc; i++) {
		const char *v;

		if (opt_next("bench", bench_opts, argc, argv, &i, &o))
			return EXIT_USAGE;
		v = o.value;
		if (!o.spec) {
			if (name)
				return usage_error("bench", "unexpected argument '%s'", argv[i]);
			if (strcmp(argv[i], "core") && strcmp(argv[i], "scale") &&
			    strcmp(argv[i], "rmap") && strcmp(argv[i], "reclaim"))
				return usage_error("bench", "no benchmark '%s' (there are core, "
						   "scale, rmap and reclaim)", argv[i]);
			name = argv[i];
		} else if (!strcmp(o.spec->name, "--help") || !strcmp(o.spec->name, "-h")) {
			return print_help(command_find("bench"));
		} else if (!strcmp(o.spec->name, "--jobs") || !strcmp(o.spec->name, "--run")) {
			return usage_error("bench", "%s is an option of sweep", o.spec->name);
		} else if (strstr(" --workloads --plots --one --swap --reclaim --no-host "
				  "--counts-only ", o.spec->name)) {
			int r = suite_opt("bench", &o, &so);

			if (r != 1)
				return r;
			suite_only = o.spec->name;
		} else if (!strcmp(o.spec->name, "--json")) {
			json = v;
		} else if (!strcmp(o.spec->name, "--full")) {
			full = true;
		} else if (!strcmp(o.spec->name, "--quick")) {
			quick = true;
		} else if (!strcmp(o.spec->name, "--scheme")) {
			opt.scheme = v;
		} else if (!strcmp(o.spec->name, "--procs")) {
			core_opts = true;
			if (parse_count(v, &procs) || procs < 1 || procs > 4096)
				return usage_error("bench", "bad --procs '%s' (1 to 4096)", v);
		} else if (!strcmp(o.spec->name, "--bytes")) {
			core_opts = true;
			if (rv_parse_size(v, &bytes) || bytes < (1 << 20))
				return usage_error("bench", "bad --bytes '%s' "
						   "(at least 1M; K/M/G/T suffixes)", v);
		} else if (!strcmp(o.spec->name, "--mem")) {
			mem = true;
			if (rv_parse_size(v, &opt.mem_bytes) || opt.mem_bytes < (64 << 10))
				return usage_error("bench", "bad --mem size '%s' "
						   "(at least 64K; K/M/G/T suffixes)", v);
		}
	}
	if (!name) {
		/* the suite */
		if (core_opts || full)
			return usage_error("bench", "the suite takes no --bytes, --procs or --full "
					   "(bench core's, bench scale's)");
		so.json = json ? json : "bench.json";
		so.quick = quick;
		so.schemes = opt.scheme;
		so.mem = opt.mem_bytes;
		return bench_suite(&so, stdout);
	}
	if (suite_only)
		return usage_error("bench", "%s is an option of the suite (bench without a name)",
				   suite_only);
	if (!strcmp(name, "reclaim")) {
		if (core_opts || full || mem)
			return usage_error("bench", "bench reclaim takes only --quick, --json and "
					   "--scheme (it sizes its machines)");
		return bench_reclaim(&opt, quick, json, stdout);
	}
	if (!strcmp(name, "rmap")) {
		if (core_opts || full)
			return usage_error("bench", "bench rmap takes only --quick, --json, --mem "
					   "and --scheme");
		return bench_rmap(&opt, quick, json, stdout);
	}
	if (quick)
		return usage_error("bench", "--quick is an option of bench rmap and bench reclaim");
	if (!strcmp(name, "scale")) {
		if (core_opts || mem)
			return usage_error("bench", "bench scale takes only --json, --full and "
					   "--scheme");
		return bench_scale(&opt, full, json, stdout);
	}
	if (full)
		return usage_error("bench", "--full is an option of bench scale");
	return bench_core(&opt, bytes, (int)procs, json, stdout);
}

static const struct opt_spec capture_opts[] = {
	{ "-o", OPT_VALUE }, { "--portable", OPT_NONE }, { "--keep-script", OPT_VALUE },
	{ "--strace", OPT_NONE },
	{ "--from", OPT_VALUE }, { "--help", OPT_NONE }, { "-h", OPT_NONE },
	{ NULL, OPT_NONE }
};

static int cmd_capture(int argc, char **argv)
{
	struct capture_opts co = { 0 };
	const char *from = NULL;
	struct opt_found o;
	int i, st;

	for (i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (opt_next("capture", capture_opts, argc, argv, &i, &o))
			return EXIT_USAGE;
		if (!o.spec)
			break;          /* the command starts here */
		if (!strcmp(o.spec->name, "--help") || !strcmp(o.spec->name, "-h"))
			return print_help(command_find("capture"));
		if (!strcmp(o.spec->name, "-o"))
			co.out_path = o.value;
		else if (!strcmp(o.spec->name, "--portable"))
			co.portable = true;
		else if (!strcmp(o.spec->name, "--keep-script"))
			co.script_path = o.value;
		else if (!strcmp(o.spec->name, "--strace"))
			co.strace = true;
		else
			from = o.value;
	}
	if (!co.out_path)
		return usage_error("capture", "no -o TRACE given");
	if (from && i < argc)
		return usage_error("capture", "--from and a command to run: one or the other");
	if (from && co.script_path)
		return usage_error("capture", "--keep-script is for a recording, not --from");
	if (from) {
		FILE *in = strcmp(from, "-") ? fopen(from, "r") : stdin;
		if (!in) {
			fprintf(stderr, "revmap: capture: cannot read %s: %s\n", from, strerror(errno));
			return 1;
		}
		st = capture_convert(in, strcmp(from, "-") ? from : "<stdin>", &co, stderr);
		if (in != stdin)
			fclose(in);
		return st;
	}
	if (i >= argc)
		return usage_error("capture", "no COMMAND to run (or --from SCRIPT)");
	/* the command line, for the trace's header */
	size_t len = 1;
	for (int k = i; k < argc; k++)
		len += strlen(argv[k]) + 1;
	char *cl = malloc(len), *p = cl;
	if (!cl) {
		fprintf(stderr, "revmap: capture: out of memory\n");
		return 1;
	}
	for (int k = i; k < argc; k++)
		p += sprintf(p, "%s%s", k > i ? " " : "", argv[k]);
	*p = 0;
	for (char *q = cl; *q; q++)
		if (*q == '\n')
			*q = ' ';
	co.command_line = cl;
	st = capture_record(&co, argv + i, stderr);
	free(cl);
	return st;
}

static int cmd_help(int argc, char **argv)
{
	const struct command *c;

	if (argc == 0) {
		list_commands(stdout);
		return 0;
	}
	c = command_find(argv[0]);
	if (!c) {
		if (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))
			return print_help(command_find("help"));
		return usage_error(NULL, "no command '%s'", argv[0]);
	}
	/* `revmap help bench core` is `revmap bench core --help` */
	if (argc > 2 || (argc == 2 && (c->run != cmd_bench ||
				       (strcmp(argv[1], "core") && strcmp(argv[1], "scale")))))
		return usage_error("help", "unexpected argument '%s'", argv[argc - 1]);
	return print_help(c);
}

int main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2)
		return usage_error(NULL, "which command? (replay, info, bench, sweep, report, "
				   "capture, help)");
	if (!strcmp(argv[1], "--version")) {
		if (argc > 2)
			return usage_error(NULL, "--version takes no arguments");
		printf("revmap %s\n", REVMAP_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(argc - 2, argv + 2);
	c = command_find(argv[1]);
	if (!c) {
		if (argv[1][0] == '-')
			return usage_error(NULL, "unknown option '%s'", argv[1]);
		return usage_error(NULL, "unknown command '%s'", argv[1]);
	}
	return c->run(argc - 2, argv + 2);
}
