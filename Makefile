# Portico: one binary, plain Makefile, libraries through pkg-config.
# `make` builds build/portico; `make SANITIZE=address,undefined` builds the sanitized variant in build/san/.
PKGS      := libevent libevent_openssl libevent_pthreads jansson sqlite3 openssl yaml-0.1 libmnl libnftnl libnetfilter_conntrack
CC        ?= cc
CFLAGS    ?= -O2 -g
BASEFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -DPORTICO_HAVE_LIBMNL -Isrc \
             $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
VERSION   := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

ifneq ($(SANITIZE),)
  BUILD   := build/san
  SANFLAGS:= -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=undefined
else
  BUILD   := build
  SANFLAGS:=
endif

SRC       := $(wildcard src/*.c src/*/*.c)
LIBSRC    := $(filter-out src/main.c,$(SRC))
OBJ       := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(SRC))
LIBOBJ    := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(LIBSRC))
UNITSRC   := $(wildcard tests/unit/test_*.c)
UNITBIN   := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNITSRC))
FUZZSRC   := $(wildcard tests/fuzz/fuzz_*.c)
FUZZBIN   := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZSRC))
ALLFLAGS   = $(BASEFLAGS) $(CFLAGS) $(SANFLAGS) -DPORTICO_VERSION='"$(VERSION)"'

.PHONY: all deps run test unit fuzz clean bench
all: $(BUILD)/portico

$(BUILD)/portico: $(OBJ)
	@echo "  LD      $@"
	@$(CC) $(ALLFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(ALLFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIBOBJ) tests/unit/harness.h
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(ALLFLAGS) -Itests/unit -o $@ $< $(LIBOBJ) $(LDLIBS)

unit: $(UNITBIN)

# libFuzzer targets: clang only, linked against the library objects (not main.c), which are
# built once with coverage instrumentation.
FUZZOBJ   := $(patsubst src/%.c,build/fuzz/obj/%.o,$(LIBSRC))
FUZZFLAGS := $(BASEFLAGS) -g -O1 -fsanitize=fuzzer-no-link,address,undefined

build/fuzz/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC/FUZZ $<"
	@clang $(FUZZFLAGS) -MMD -MP -c -o $@ $<

build/fuzz/%: tests/fuzz/%.c $(FUZZOBJ)
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	@clang $(BASEFLAGS) -g -O1 -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZOBJ) $(LDLIBS)

fuzz: $(FUZZBIN)

deps:
	@sh scripts/deps.sh

run: deps all
	@sh scripts/run.sh

test: deps
	@$(MAKE) --no-print-directory -j2 SANITIZE=address,undefined all unit
	@$(MAKE) --no-print-directory -j2 all fuzz
	@sh tests/run.sh

bench: deps all
	@sh scripts/deps.sh bench
	@sh bench/run.sh

clean:
	rm -rf build

-include $(OBJ:.o=.d) $(FUZZOBJ:.o=.d)
