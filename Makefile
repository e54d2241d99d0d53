# revmap - GNU make build.
#
#   make            library, revmap, tools (build/)
#   make check      every test, normally and under ASan+UBSan, through prove
#   make test       the tests of one build (BUILD=dir, SAN=1 for sanitizers)
#   make bench      the core benchmark
#   make fuzz       the libFuzzer target, 60 s
#   make deps       install what the build needs (Debian; apt-get as root)
#   make run        replay the shipped example trace (and on Linux, as root)
#
# Sources are found by directory: a new .c file in lib/ mm/ rmap/ sim/ goes
# into the library, tests/t_*.c become TAP programs, tests/*.t are scripts.

SHELL   := /bin/bash
BUILD   ?= build
SAN     ?= 0
CC      ?= cc
OPT     ?= -O2

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
CLI_SRC  := $(wildcard cli/*.c)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
TOOL_SRC := $(wildcard tools/*.c)
TOOLS    := $(TOOL_SRC:tools/%.c=$(BUILD)/%)
TEST_SRC := $(wildcard tests/t_*.c)
TESTS    := $(TEST_SRC:tests/%.c=$(BUILD)/t/%.t)
SCRIPTS  := $(wildcard tests/*.t)

all: $(BUILD)/revmap $(TOOLS) $(TESTS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/librevmap.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/revmap: $(CLI_OBJ) $(BUILD)/librevmap.a
	$(CC) $(LDFLAGS) -o $@ $^ -lm

$(BUILD)/%: $(BUILD)/obj/tools/%.o $(BUILD)/librevmap.a
	$(CC) $(LDFLAGS) -o $@ $^ -lm

$(BUILD)/t/%.t: $(BUILD)/obj/tests/%.o $(BUILD)/librevmap.a
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lm

test: all
	REVMAP_BUILD=$(BUILD) prove $(TESTS) $(SCRIPTS)

check:
	$(MAKE) test BUILD=build
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
DEPS := build-essential clang libclang-rt-14-dev perl python3
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

clean:
	rm -rf build build-asan build-fuzz

.PHONY: all test check bench fuzz clean deps run
.SECONDARY:
-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
