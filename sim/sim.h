/*
 * sim/sim.h - the simulated machine around the VM core: processes, the
 * software MMU, the replayer and the dump of the machine's state.
 */
#ifndef REVMAP_SIM_SIM_H
#define REVMAP_SIM_SIM_H

#include "revmap.h"
#include "../mm/mm.h"
#include "trace.h"
#include "dump.h"

enum proc_state { PROC_ALIVE, PROC_EXITED, PROC_KILLED };

struct sim_proc {
	int pid;                /* trace pid */
	enum proc_state state;  /* alive, exited or OOM-killed */
	struct vm_mm *mm;       /* its address space while alive */
};

struct rv_sim {
	struct vm_machine m;        /* the machine */
	struct rv_options opt;      /* how it was made */
	struct sim_proc *procs;     /* every pid seen, sorted by pid */
	size_t nprocs;              /* entries used */
	size_t cap;                 /* entries allocated */
	struct sim_file *files;     /* the trace's file names */
	size_t nfiles;              /* entries used */
	int *host_fds;              /* per event: a hostfile opened before the run, or -1 */
	const struct tr_event *cur_ev; /* the events being run (host_fds is parallel) */
	unsigned line;              /* the line of the event being run (for messages) */
	FILE *errf;                 /* where run-time errors go */
	const char *path;           /* the trace being run (for messages) */
	int fatal;                  /* a run-time error stopped the replay (RV_*) */
};

/* a name given to a file by a `file` or `hostfile` line */
struct sim_file {
	char *name;                 /* the trace's name */
	struct vm_file *file;       /* holds one reference */
};

/* software MMU: an 8-byte load or store through the page tables, faulting
 * into mm/ as hardware would.  => VM_FAULT_OK / SEGV / BUS / OOM */
int mmu_load(struct vm_machine *m, struct vm_mm *mm, uint64_t addr, uint64_t *val);
int mmu_store(struct vm_machine *m, struct vm_mm *mm, uint64_t addr, uint64_t val);

struct sim_proc *sim_proc_find(struct rv_sim *s, int pid);
/* reclaim before killing: => true if it freed frames */
bool sim_direct_reclaim(struct rv_sim *s);
/* the OOM killer: kills the live process with the most resident pages and
 * says so on errf, as the kernel logs it; => its pid, or 0 if there is
 * nobody to kill */
int sim_oom_kill(struct rv_sim *s);
/* write the dump's proc/vma/page lines of every live process */
void sim_dump_state(struct rv_sim *s, struct dump_writer *w);

/* what the benchmarks see of a replay: after each event, its result and
 * the time run_event took (not the checks) */
struct sim_observer {
	void (*event)(void *arg, struct rv_sim *s, const struct tr_event *ev,
		      const struct tr_result *res, uint64_t ns);
	void *arg;
};
/* rv_replay_buffer on a parsed trace, with an observer (may be NULL) */
int sim_replay(struct rv_sim *s, const struct tr_trace *t, const char *dump_path,
	       const struct sim_observer *obs, FILE *errf);

/* reclaim <pages>: frames freed; compact <order>: 0 or -ENOMEM */
uint64_t sim_reclaim(struct rv_sim *s, uint64_t pages);
int sim_compact(struct rv_sim *s, unsigned order);

#endif
