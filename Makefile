# qunsim -- one top-level Makefile, out-of-tree build, automatic header deps.
#   make            build build/qunsim
#   make demo       install missing packages, build, run the reading-club demo
#   make test       install missing packages, build and run the whole test suite
#   make test-all   the whole suite without the package check
#   make test-quick the unit tests only (seconds; see TEST_FULL_ONLY below)
#   make SANITIZE=address,undefined test   the same under ASan + UBSan (build-san/)
#   make valgrind   the test suite under valgrind memcheck
#   make golden-update  rewrite tests/golden/* from this build (on purpose; tests/test_golden.c)
#   make bench      benchmarks, one figure a line: `name value unit`
#   make replay     the seed's case table: model vs reported figures (REPLAY_FLAGS="--format csv")
#   make validate   rolling-origin backtests on real logs (CORPUS=DIR, VALIDATE_FLAGS=...)
#   make fuzz       libFuzzer targets (fuzz/) under ASan+UBSan, FUZZ_SECONDS each (needs clang)
#   make clean
VERSION := 0.1.0
CC      ?= cc
PKGS    := gsl sqlite3 libconfig
SANITIZE ?=

ifeq ($(SANITIZE),)
BUILD   ?= build
OPT     ?= -O2
else
BUILD   ?= build-san
OPT     ?= -O1
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif
# FUZZ=1 (set by `make fuzz`): the library is instrumented for libFuzzer
ifeq ($(FUZZ),1)
SANFLAGS += -fsanitize=fuzzer-no-link
endif

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CPPFLAGS += -I. -Isim -Ianalysis -Imodels -Icli -DQS_VERSION='"$(VERSION)"' -D_POSIX_C_SOURCE=200809L
CFLAGS  += -std=c11 $(OPT) -g $(WARN) $(SANFLAGS) -MMD -MP
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LDLIBS  += $(PKG_LIBS) -lm -lpthread
LDFLAGS += $(SANFLAGS)
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)

LIB_SRC  := $(wildcard sim/*.c analysis/*.c models/*.c)
CLI_SRC  := $(wildcard cli/*.c)
TEST_SRC := $(wildcard tests/test_*.c)
BENCH_SRC := $(wildcard tests/bench_*.c)
TEST_HELPERS := $(filter-out tests/test_% tests/bench_%,$(wildcard tests/*.c))

# Test tiers.  `make test` runs every suite; `make test-quick` the unit tests,
# about 10 s.  The rule: a suite is quick if it does not run the qunsim binary
# (the CLI end to end, the notebooks, the golden outputs) and takes under 2 s
# natively; otherwise it is named here and runs in `make test` only.  Measured
# (build/, 2 cores shared, two runs, seconds) when the tiers were drawn:
# faults 34, report 46 (notebooks), baseline 21 (bootstraps), batch 12,
# cases 9, golden 7, metrics 3.0/2.7, measure 2.1/1.9, and, running the CLI,
# hostile 3.4, forecast 3.0, cli 2.1, limits 1.7, import 1.5.  The quick ones
# take 0.01-1.3 s each.  A new tests/test_NAME.c is quick unless named here.
TEST_FULL_ONLY := baseline batch cases cli faults forecast golden hostile import limits measure metrics report

LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/gen/schema_sql.o $(BUILD)/gen/metrics_sql.o
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
HELPER_OBJ := $(TEST_HELPERS:%.c=$(BUILD)/%.o)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
QUICK_BIN := $(filter-out $(TEST_FULL_ONLY:%=$(BUILD)/tests/test_%),$(TEST_BIN))
BENCH_BIN := $(BENCH_SRC:tests/%.c=$(BUILD)/tests/%)
LIB      := $(BUILD)/libqunsim.a
BIN      := $(BUILD)/qunsim
# the subcommands without main(), for tests and fuzz targets that call them
CLI_LIB_OBJ := $(filter-out $(BUILD)/cli/main.o,$(CLI_OBJ))

# Optional MPI build: $(BUILD)/qunsim-mpi, the same CLI with the tasks of a
# batch spread over MPI ranks (cli/mpi_batch.c, compiled with -DQS_MPI).
# Built when mpicc is found (make MPI=1 insists, MPI=0 skips); not in
# sanitizer builds unless MPI=1 is given.
MPICC   ?= mpicc
ifeq ($(origin MPI),undefined)
MPI := $(if $(SANITIZE),0,$(if $(shell command -v $(MPICC) 2>/dev/null),1,0))
endif
MPI_BIN := $(BUILD)/qunsim-mpi
MPI_OBJ := $(CLI_SRC:%.c=$(BUILD)/mpi/%.o)
ifeq ($(MPI),1)
MPI_TARGET := $(MPI_BIN)
endif

.PHONY: all deps demo test test-all test-quick valgrind bench clean replay validate fuzz fuzz-build golden-update
all: $(BIN) $(MPI_TARGET)

deps:
	@sh scripts/deps.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CFLAGS) -c $< -o $@

# SQL files compiled in as strings, so the binary carries its schema.
$(BUILD)/gen/%_sql.c: analysis/%.sql scripts/sql2c.sh
	@mkdir -p $(dir $@)
	sh scripts/sql2c.sh $< qs_$*_sql > $@
$(BUILD)/gen/%.o: $(BUILD)/gen/%.c
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/mpi/%.o: %.c
	@mkdir -p $(dir $@)
	$(MPICC) $(CPPFLAGS) -DQS_MPI $(PKG_CFLAGS) $(CFLAGS) -c $< -o $@

$(MPI_BIN): $(MPI_OBJ) $(LIB)
	$(MPICC) $(LDFLAGS) -o $@ $(MPI_OBJ) $(LIB) $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(LIB) $(HELPER_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CHECK_CFLAGS) $(CFLAGS) -Itests -o $@ $< $(HELPER_OBJ) $(LIB) $(CHECK_LIBS) $(LDLIBS)

# test_fuzz_corpus replays fuzz/corpus and fuzz/crashes through the fuzz
# targets' entry points, which include the subcommands (cli/ without main).
$(BUILD)/tests/test_fuzz_corpus: tests/test_fuzz_corpus.c $(wildcard fuzz/*.c fuzz/*.h) $(CLI_LIB_OBJ) $(LIB) $(HELPER_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Ifuzz $(PKG_CFLAGS) $(CHECK_CFLAGS) $(CFLAGS) -Itests -o $@ $< $(CLI_LIB_OBJ) $(HELPER_OBJ) $(LIB) $(CHECK_LIBS) $(LDLIBS)

# test_faults: allocation failure injection by wrapping the allocator of
# everything linked statically (the library, the test) -- tests/fault/.
FAULT_WRAP := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free,--wrap=strdup,--wrap=strndup,--wrap=aligned_alloc
$(BUILD)/tests/test_faults: tests/test_faults.c $(BUILD)/tests/fault/fault.o $(LIB) $(HELPER_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(CHECK_CFLAGS) $(CFLAGS) -Itests -o $@ $< $(BUILD)/tests/fault/fault.o $(HELPER_OBJ) $(LIB) $(CHECK_LIBS) $(LDLIBS) $(FAULT_WRAP)

test: deps
	@$(MAKE) --no-print-directory test-all

# every suite, without the package check of `make test`
test-all: $(BIN) $(MPI_TARGET) $(TEST_BIN)
	@sh scripts/run_tests.sh $(BUILD) $(TEST_BIN)

test-quick: $(BIN) $(QUICK_BIN)
	@sh scripts/run_tests.sh $(BUILD) $(QUICK_BIN)

# The golden outputs (tests/test_golden.c) rewritten from this build: for a
# change of results that is meant; commit them with the change that explains
# it.  QS_GOLDEN_DIR=DIR QS_GOLDEN_FULL=1 writes complete outputs elsewhere,
# to diff two builds.
golden-update: $(BIN) $(BUILD)/tests/test_golden
	@QS_GOLDEN_UPDATE=1 sh scripts/run_tests.sh $(BUILD) $(BUILD)/tests/test_golden
	@git status --short -- $${QS_GOLDEN_DIR:-tests/golden} 2>/dev/null || true

valgrind: deps
	@$(MAKE) --no-print-directory $(BIN) $(TEST_BIN)
	@QS_VALGRIND=1 sh scripts/run_tests.sh $(BUILD) $(TEST_BIN)

bench: deps
	@$(MAKE) --no-print-directory $(BIN) $(BENCH_BIN)
	@for b in $(BENCH_BIN); do $$b || exit 1; done

# The seed's case table: model vs reported figures, 100 replications per arm.
CASES := reading_club parenting fitness education beauty enterprise alumni quiz groupbuy habit story
replay: deps
	@$(MAKE) --no-print-directory $(BIN)
	@$(BIN) replay $(CASES:%=scenarios/%.cfg) --reps 100 $(REPLAY_FLAGS)

# Forecasts against the analyst's forecasts on real logs, rolling origins
# (docs/calibration.md): a benchmark, not part of `make test` or CI.
CORPUS ?= ../shared/corpus
validate: deps
	@$(MAKE) --no-print-directory $(BIN)
	@sh scripts/validate.sh $(BIN) $(CORPUS) $(BUILD)/validate

# Fuzzing: every fuzz/fuzz_*.c is a libFuzzer target, built with clang under
# ASan+UBSan in $(FUZZ_BUILD) and run FUZZ_SECONDS each from its seed corpus
# fuzz/corpus/NAME/; crashes land in fuzz/crashes/NAME/ (kept: the normal
# suite replays them, tests/test_fuzz_corpus.c).  `make test` needs no clang.
FUZZ_SECONDS ?= 30
FUZZ_BUILD   ?= build-fuzz
FUZZ_NAMES   := $(patsubst fuzz/%.c,%,$(wildcard fuzz/fuzz_*.c))
fuzz:
	@sh scripts/deps.sh fuzz
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang SANITIZE=address,undefined FUZZ=1 MPI=0 fuzz-build
	@sh fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_NAMES)

fuzz-build: $(FUZZ_NAMES:%=$(BUILD)/fuzz/%)

$(BUILD)/fuzz/%: fuzz/%.c $(wildcard fuzz/*.h) $(CLI_LIB_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -Ifuzz $(PKG_CFLAGS) $(CFLAGS) -DQS_LIBFUZZER -fsanitize=fuzzer -o $@ $< $(CLI_LIB_OBJ) $(LIB) $(LDLIBS)

demo: deps
	@$(MAKE) --no-print-directory $(BIN)
	@sh scripts/demo.sh $(BIN)

clean:
	rm -rf build build-san build-fuzz out

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
