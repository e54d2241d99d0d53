# workloads/src/pool.py - a Python multiprocessing pool forking workers over
# a large heap: the parent builds ~80 MiB of objects, 4 workers forked from
# it read all of it (copy-on-write shared) and write a fifth of the pages
# (copies), 64 tasks in all.
import multiprocessing as mp

HEAP = [bytearray(4096) for _ in range(20000)]


def work(i):
    s = 0
    for j in range(i, len(HEAP), 97):
        s += HEAP[j][0]
        if j % 5 == 0:
            HEAP[j][1] = 1
    return s


if __name__ == "__main__":
    mp.set_start_method("fork")
    with mp.Pool(4) as p:
        print(sum(p.map(work, range(64))))
