# revmap - GNU make build.
#
#   make            library, revmap, tools (build/)
#   make check      every test, normally and under ASan+UBSan, through prove
#   make test       the tests of one build (BUILD=dir, SAN=1 for sanitizers)
#   make bench      the core benchmark
#   make fuzz       the libFuzzer target, 60 s
#   make deps       install what the build needs (Debian; apt-get as root)
#   make run        replay the shipped example trace (and on Linux, as root)
#   make install    revmap, the library, its header and pkg-config file, the
#                   man page, the trace format and the shipped workload
#                   traces under PREFIX (/usr/local),
#                   DESTDIR prepended; make uninstall removes them
#
# Sources are found by directory: a new .c file in lib/ mm/ rmap/ sim/ goes
# into the library; bench/ (the benchmarks) and host/ (the host kernel, as
# the benchmarks and linux-replay drive it) go into the revmap program, not
# the library, and host/ into the tools too; gen/ (the hard-case trace
# generators) into revmap (bench rmap runs them) and gentrace; tests/t_*.c
# become TAP programs, tests/*.t are scripts.

SHELL   := /bin/bash
BUILD   ?= build
SAN     ?= 0
CC      ?= cc
OPT     ?= -O2
PREFIX  ?= /usr/local
DESTDIR ?=
VERSION := $(shell sed -n 's/^.define REVMAP_VERSION "\(.*\)"$$/\1/p' include/revmap.h)

WARN    := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CFLAGS  := -std=c11 -D_GNU_SOURCE $(OPT) -g $(WARN) -Iinclude -MMD -MP
LDFLAGS :=
ifeq ($(SAN),1)
CFLAGS  := -std=c11 -D_GNU_SOURCE -O1 -g $(WARN) -Iinclude -MMD -MP \
	   -fsanitize=address,undefined -fno-sanitize-recover=all \
	   -fno-omit-frame-pointer -DREVMAP_DEBUG=1
LDFLAGS := -fsanitize=address,undefined
endif

LIB_SRC  := $(wildcard lib/*.c mm/*.c rmap/*.c sim/*.c)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
CLI_SRC  := $(wildcard cli/*.c bench/*.c)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
HOST_SRC := $(wildcard host/*.c)
HOST_OBJ := $(HOST_SRC:%.c=$(BUILD)/obj/%.o)
TOOL_SRC := $(wildcard tools/*.c)
TOOLS    := $(TOOL_SRC:tools/%.c=$(BUILD)/%)
GEN_SRC  := $(wildcard gen/*.c)
GEN_OBJ  := $(GEN_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC := $(wildcard tests/t_*.c)
TESTS    := $(TEST_SRC:tests/%.c=$(BUILD)/t/%.t)
SCRIPTS  := $(wildcard tests/*.t)

all: $(BUILD)/revmap $(TOOLS) $(TESTS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

# the suite's default workloads directory, under the install prefix
$(BUILD)/obj/bench/suite.o: CFLAGS += -DREVMAP_PREFIX='"$(PREFIX)"'

$(BUILD)/librevmap.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/revmap: $(CLI_OBJ) $(HOST_OBJ) $(GEN_OBJ) $(BUILD)/librevmap.a
	$(CC) $(LDFLAGS) -o $@ $^ -lm

$(BUILD)/%: $(BUILD)/obj/tools/%.o $(HOST_OBJ) $(BUILD)/librevmap.a
	$(CC) $(LDFLAGS) -o $@ $^ -lm

$(BUILD)/gentrace: $(BUILD)/obj/tools/gentrace.o $(GEN_OBJ) $(BUILD)/librevmap.a
	$(CC) $(LDFLAGS) -o $@ $^ -lm

$(BUILD)/t/%.t: $(BUILD)/obj/tests/%.o $(BUILD)/librevmap.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lm

# two tests at a time, but the Linux tester alone: it pins every process it
# runs to one CPU, and another test's pages in that CPU's LRU batches could
# change what MADV_COLD and MADV_PAGEOUT find
test: all
	REVMAP_BUILD=$(BUILD) prove -j2 $(TESTS) $(filter-out tests/difftest.t,$(SCRIPTS)); a=$$?; \
	REVMAP_BUILD=$(BUILD) prove tests/difftest.t; b=$$?; [ $$a = 0 ] && [ $$b = 0 ]

# the sanitizer build runs a quarter of the random seeds of schemes.t,
# pressure.t and nonlinear.t, of difftest.t's a third of the generated
# seeds and no big ones, and the shipped workloads under avc and ptechain
# only (unless told otherwise): the -O2 build runs them all, and the two
# together stay within CI's 10 minutes (9m49s from clean with two fifths of
# difftest.t's and a third of pressure.t's here, before tests ran two at a
# time, too near)
check:
	$(MAKE) test BUILD=build
	SCHEME_SEEDS=$${SCHEME_SEEDS:-20} PRESSURE_SEEDS=$${PRESSURE_SEEDS:-6} \
	  NONLINEAR_SEEDS=$${NONLINEAR_SEEDS:-8} DIFF_SEEDS=$${DIFF_SEEDS:-160} \
	  DIFF_FILE_SEEDS=$${DIFF_FILE_SEEDS:-160} DIFF_FORK_SEEDS=$${DIFF_FORK_SEEDS:-30} \
	  DIFF_KIND_SEEDS=$${DIFF_KIND_SEEDS:-3} DIFF_BIG_SEEDS=$${DIFF_BIG_SEEDS:-0} \
	  WORKLOAD_SCHEMES=$${WORKLOAD_SCHEMES:-avc,ptechain} \
	  $(MAKE) test BUILD=build-asan SAN=1

bench: all
	$(BUILD)/revmap bench core --json $(BUILD)/bench-core.json

FUZZ_SRC := $(LIB_SRC) tests/fuzz/fuzz_replay.c
fuzz:
	@mkdir -p build-fuzz
	clang -std=c11 -D_GNU_SOURCE -O1 -g -Iinclude -DREVMAP_DEBUG=1 -DREVMAP_FUZZ=1 \
	  -fsanitize=fuzzer,address,undefined -o build-fuzz/fuzz_replay $(FUZZ_SRC) -lm
	@mkdir -p build-fuzz/corpus
	set -o pipefail; build-fuzz/fuzz_replay -max_total_time=$${FUZZ_SECONDS:-60} -max_len=4096 \
	  -rss_limit_mb=3072 -artifact_prefix=build-fuzz/ build-fuzz/corpus 2>&1 | tail -20

# Debian packages the build and the tests need; installed only if missing.
# (pkg-config and groff-base: tests/install.t builds against the installed
# library and renders the man page; gnuplot-nox: the suite's SVG plots;
# parallel: tests/sweep.t runs a sweep's jobs with GNU parallel; linux-perf:
# revmap capture, and capture.t's live capture; strace: its fallback.)
DEPS := build-essential clang libclang-rt-14-dev perl python3 pkg-config groff-base gzip zstd \
	gnuplot-nox parallel linux-perf strace
deps:
	@missing=""; for p in $(DEPS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root to install$$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

run: all
	$(BUILD)/revmap replay examples/tour.trace --check --dump $(BUILD)/tour.dump
	cat $(BUILD)/tour.dump
	@if $(BUILD)/linux-replay examples/tour.trace --dump $(BUILD)/tour.linux.dump 2>$(BUILD)/tour.linux.err; then \
	  if cmp -s $(BUILD)/tour.dump $(BUILD)/tour.linux.dump; then echo "tour: identical to the real kernel's dump"; \
	  else echo "tour: DIFFERS from the real kernel's dump:"; diff $(BUILD)/tour.dump $(BUILD)/tour.linux.dump | head -20; exit 1; fi; \
	else echo "tour: the Linux tester could not run here: $$(cat $(BUILD)/tour.linux.err)"; fi

# What make install puts where, under $(DESTDIR)$(PREFIX).  revmap.pc is
# made from revmap.pc.in for this PREFIX and the version of revmap.h.
# The shipped workload traces go to share/revmap/workloads, where revmap
# bench finds them when there is no workloads/ in the current directory.
WORKLOAD_FILES := $(notdir $(wildcard workloads/*.trace workloads/*.trace.gz workloads/*.trace.zst))
INSTALLED := bin/revmap lib/librevmap.a include/revmap.h lib/pkgconfig/revmap.pc \
	     share/man/man1/revmap.1 share/doc/revmap/trace-format.md \
	     $(addprefix share/revmap/workloads/,$(WORKLOAD_FILES))
DEST      := $(DESTDIR)$(PREFIX)

install: $(BUILD)/revmap $(BUILD)/librevmap.a
	@case "$(PREFIX)" in /*) ;; *) echo "make install: PREFIX must be an absolute path, not '$(PREFIX)'" >&2; exit 1;; esac
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' revmap.pc.in >$(BUILD)/revmap.pc
	install -d "$(DEST)/bin" "$(DEST)/lib/pkgconfig" "$(DEST)/include" \
		"$(DEST)/share/man/man1" "$(DEST)/share/doc/revmap"
	install -m 755 $(BUILD)/revmap "$(DEST)/bin/revmap"
	install -m 644 $(BUILD)/librevmap.a "$(DEST)/lib/librevmap.a"
	install -m 644 include/revmap.h "$(DEST)/include/revmap.h"
	install -m 644 $(BUILD)/revmap.pc "$(DEST)/lib/pkgconfig/revmap.pc"
	install -m 644 docs/revmap.1 "$(DEST)/share/man/man1/revmap.1"
	install -m 644 docs/trace-format.md "$(DEST)/share/doc/revmap/trace-format.md"
	$(if $(WORKLOAD_FILES),install -d "$(DEST)/share/revmap/workloads" && \
	  install -m 644 $(addprefix workloads/,$(WORKLOAD_FILES)) "$(DEST)/share/revmap/workloads/")

uninstall:
	rm -f $(addprefix "$(DEST)/,$(addsuffix ",$(INSTALLED)))
	-rmdir "$(DEST)/share/doc/revmap" 2>/dev/null
	-rmdir "$(DEST)/share/revmap/workloads" "$(DEST)/share/revmap" 2>/dev/null

clean:
	rm -rf build build-asan build-fuzz

.PHONY: all test check bench fuzz clean deps run install uninstall
.SECONDARY:
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
