# sohoa — see README.md. `make check` and `make demo` first install what is missing.
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
PYTHON   ?= /usr/bin/python3
PKGS      = tesseract lept libtiff-4 openssl jansson inih libutf8proc sqlite3 xmlsec1-openssl \
            libqpdf harfbuzz harfbuzz-subset lcms2 libcurl libsystemd poppler-glib cairo zbar \
            libmicrohttpd gnutls
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

CFLAGS_BASE = -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -I. $(PKG_CFLAGS) \
              -DSOHOA_DATADIR='"$(PREFIX)/share/sohoa"'
CFLAGS     ?= -O2 -g
# make V=1 shows the compiler command lines.
Q           = $(if $(V),,@)
ASAN_FLAGS  = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

.DEFAULT_GOAL := all

MODULES   = common config pipeline signer watchers archive api daemon
LIB_SRC   = $(wildcard $(addsuffix /*.c,$(MODULES)))
CLI_SRC   = $(wildcard cli/*.c)
TEST_SRC  = $(wildcard tests/unit/test_*.c)
TOOL_SRC  = $(wildcard tests/tools/*.c)
HEADERS   = $(wildcard */*.h tests/unit/*.h)
# The web page is assembled into api/web.c (.incbin).
WEB_FILES = $(wildcard api/web/*)

# Two build flavours share the rules: build/release and build/asan.
define flavour
$(1)_OBJ  = $$(patsubst %.c,build/$(1)/%.o,$$(LIB_SRC))
$(1)_CLI  = $$(patsubst %.c,build/$(1)/%.o,$$(CLI_SRC))
$(1)_TEST = $$(patsubst tests/unit/%.c,build/$(1)/tests/%,$$(TEST_SRC))
$(1)_TOOLS = $$(patsubst tests/tools/%.c,build/$(1)/tools/%,$$(TOOL_SRC))
build/$(1)/%.o: %.c $$(HEADERS)
	@mkdir -p $$(dir $$@)
	@echo "  CC ($(1)) $$<"
	$$(Q)$$(CC) $$(CFLAGS_BASE) $(2) -c $$< -o $$@
build/$(1)/libsohoa.a: $$($(1)_OBJ)
	@rm -f $$@
	$$(Q)ar rcs $$@ $$^
build/$(1)/tests/%: tests/unit/%.c build/$(1)/libsohoa.a $$(HEADERS)
	@mkdir -p $$(dir $$@)
	@echo "  LD ($(1)) $$@"
	$$(Q)$$(CC) $$(CFLAGS_BASE) $(2) $$< build/$(1)/libsohoa.a $$(PKG_LIBS) $$(shell pkg-config --libs cmocka) -o $$@
build/$(1)/tools/%: tests/tools/%.c build/$(1)/libsohoa.a $$(HEADERS)
	@mkdir -p $$(dir $$@)
	@echo "  LD ($(1)) $$@"
	$$(Q)$$(CC) $$(CFLAGS_BASE) $(2) $$< build/$(1)/libsohoa.a $$(PKG_LIBS) -o $$@
endef
build/release/api/web.o build/asan/api/web.o: $(WEB_FILES)
$(eval $(call flavour,release,$(CFLAGS)))
$(eval $(call flavour,asan,$(ASAN_FLAGS)))
include fuzz/fuzz.mk

.PHONY: all deps check asan bench demo install clean samples tests eval chaos
all: bin/sohoa

bin/sohoa: $(release_CLI) build/release/libsohoa.a
	@mkdir -p bin
	@echo "  LD $@"
	$(Q)$(CC) $(CFLAGS_BASE) $(CFLAGS) $^ $(PKG_LIBS) -o $@

bin/sohoa-asan: $(asan_CLI) build/asan/libsohoa.a
	@mkdir -p bin
	@echo "  LD $@"
	$(Q)$(CC) $(CFLAGS_BASE) $(ASAN_FLAGS) $^ $(PKG_LIBS) -o $@

deps:
	@sh scripts/install-deps.sh

tests: bin/sohoa $(release_TEST) $(release_TOOLS) $(release_FUZZ)

# The README's test command. Ends with "N passed, N failed".
check: deps
	@$(MAKE) --no-print-directory tests
	@SOHOA_TOOLS=build/release/tools sh tests/run.sh build/release/tests bin/sohoa

asan: deps
	@$(MAKE) --no-print-directory bin/sohoa-asan $(asan_TEST) $(asan_TOOLS) $(asan_FUZZ)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	    SOHOA_TOOLS=build/asan/tools sh tests/run.sh build/asan/tests bin/sohoa-asan

# The crash loop at length: 200 scans, 50 kill -9s (make check runs 30 and 10).
chaos: deps
	@$(MAKE) --no-print-directory bin/sohoa
	@CHAOS_SCANS=200 CHAOS_KILLS=50 SOHOA=bin/sohoa $(PYTHON) tests/chaos/test_chaos.py

# Measures, never fails on the numbers; bench/README.md says how to read them.
bench: deps
	@sh scripts/install-deps.sh bench
	@$(MAKE) --no-print-directory bin/sohoa $(release_TOOLS)
	@$(PYTHON) bench/peers.py bin/sohoa
	@sh bench/bench.sh bin/sohoa
	@$(PYTHON) bench/signing.py build/release/tools
	@$(PYTHON) bench/daemon.py bin/sohoa
	@sh bench/archive.sh build/release/tools
	@$(PYTHON) bench/api.py bin/sohoa

samples:
	@sh scripts/install-deps.sh samples
	$(PYTHON) samples/generate.py --out samples/out --count 40

# OCR quality on scans as scanners make them, then field extraction (eval/README.md).
# Measures, never fails on the numbers. The sets are made again when the generator changes.
EVAL_GEN = samples/generate.py $(wildcard samples/gen/*.py)
eval: bin/sohoa eval/out/truth.jsonl eval/fields-out/truth.jsonl
	$(PYTHON) eval/eval.py --sohoa bin/sohoa --set eval/out
	$(PYTHON) eval/fields.py --sohoa bin/sohoa --set eval/fields-out

eval/out/truth.jsonl: $(EVAL_GEN)
	@sh scripts/install-deps.sh samples
	@rm -rf eval/out
	$(PYTHON) samples/generate.py --eval --out eval/out

# The field set; its own .gitignore keeps it out of git.
eval/fields-out/truth.jsonl: $(EVAL_GEN)
	@sh scripts/install-deps.sh samples
	@rm -rf eval/fields-out
	$(PYTHON) samples/generate.py --fields --out eval/fields-out
	@printf '*\n' > eval/fields-out/.gitignore

demo: deps
	@$(MAKE) --no-print-directory bin/sohoa
	@sh scripts/demo.sh bin/sohoa demo

install: bin/sohoa
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/doc/sohoa
	install -m 0755 bin/sohoa $(DESTDIR)$(PREFIX)/bin/sohoa
	install -m 0644 config/sohoa.conf.example README.md $(DESTDIR)$(PREFIX)/share/doc/sohoa/
	install -d $(DESTDIR)$(PREFIX)/share/sohoa/gazetteer
	install -m 0644 config/kinds.rules config/procedures.txt $(DESTDIR)$(PREFIX)/share/sohoa/
	install -m 0644 config/gazetteer/*.txt $(DESTDIR)$(PREFIX)/share/sohoa/gazetteer/
	install -d $(DESTDIR)$(PREFIX)/lib/systemd/system
	install -m 0644 packaging/sohoa.service $(DESTDIR)$(PREFIX)/lib/systemd/system/sohoa.service

clean:
	rm -rf build bin
