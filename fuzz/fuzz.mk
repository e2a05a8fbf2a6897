# fuzz: libFuzzer targets (docs/internals/fuzz.md). Included by the Makefile.
# `make fuzz FUZZ_SECONDS=N` builds them with clang into build/fuzz and runs
# each for N seconds; the replay binaries (build/<flavour>/fuzz/replay_<t>)
# run the committed inputs again under gcc in make check and make asan.
FUZZ_TARGETS  = decode extract config api xml
FUZZ_SECONDS ?= 60
FUZZ_CC       = clang
FUZZ_FLAGS    = -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined \
                -fno-sanitize-recover=all
FUZZ_KIT      = fuzz/fuzz_kit.c fuzz/fuzz_kit.h

# The library once more, with clang and the fuzzer's coverage, in build/fuzz.
build/fuzz/%: CC = $(FUZZ_CC)
$(eval $(call flavour,fuzz,$(FUZZ_FLAGS)))

FUZZ_BINS     = $(patsubst %,build/fuzz/fuzz_%,$(FUZZ_TARGETS))
release_FUZZ  = $(patsubst %,build/release/fuzz/replay_%,$(FUZZ_TARGETS))
asan_FUZZ     = $(patsubst %,build/asan/fuzz/replay_%,$(FUZZ_TARGETS))

build/fuzz/fuzz_%: fuzz/fuzz_%.c $(FUZZ_KIT) build/fuzz/libsohoa.a $(HEADERS)
	@echo "  LD (fuzz) $@"
	$(Q)$(FUZZ_CC) $(CFLAGS_BASE) $(FUZZ_FLAGS) -fsanitize=fuzzer $< fuzz/fuzz_kit.c \
	    build/fuzz/libsohoa.a $(PKG_LIBS) -o $@

define fuzz_replay
build/$(1)/fuzz/replay_%: fuzz/fuzz_%.c fuzz/replay.c $$(FUZZ_KIT) build/$(1)/libsohoa.a $$(HEADERS)
	@mkdir -p $$(dir $$@)
	@echo "  LD ($(1)) $$@"
	$$(Q)$$(CC) $$(CFLAGS_BASE) $(2) $$< fuzz/replay.c fuzz/fuzz_kit.c build/$(1)/libsohoa.a \
	    $$(PKG_LIBS) -o $$@
endef
$(eval $(call fuzz_replay,release,$(CFLAGS)))
$(eval $(call fuzz_replay,asan,$(ASAN_FLAGS)))

.PHONY: fuzz fuzz-build
fuzz-build:
	@sh scripts/install-deps.sh fuzz
	@$(MAKE) --no-print-directory $(FUZZ_BINS)

fuzz: fuzz-build
	@sh fuzz/run.sh $(FUZZ_SECONDS) build/fuzz/out $(FUZZ_TARGETS)
build/fuzz/api/web.o: $(WEB_FILES)
