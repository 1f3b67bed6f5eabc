# skiff: the two commands of the Quick start, and the usual targets.
#   make          build (release) into build/
#   make demo     install what is missing, build, run the demo
#   make check    install what is missing, build (release and ASan/UBSan), run every test
#   make install  install the executables (PREFIX=/usr/local, DESTDIR honoured)

PREFIX ?= /usr/local
DESTDIR ?=
BUILD ?= build
SANBUILD := build-sanitize
FUZZBUILD := build-fuzz
MESON_OPTS := --prefix=$(PREFIX)

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	meson setup $(BUILD) $(MESON_OPTS) >/dev/null

$(SANBUILD)/build.ninja:
	meson setup $(SANBUILD) $(MESON_OPTS) -Dbuildtype=debugoptimized -Db_sanitize=address,undefined -Db_lundef=false >/dev/null

build: $(BUILD)/build.ninja
	@ninja -C $(BUILD) >/dev/null

build-sanitize: $(SANBUILD)/build.ninja
	@ninja -C $(SANBUILD) >/dev/null

demo: deps build
	@scripts/demo $(BUILD)

check: deps build build-sanitize
	@tests/run $(BUILD) $(SANBUILD)

install: build
	meson configure $(BUILD) -Dprefix=$(PREFIX) >/dev/null
	DESTDIR=$(DESTDIR) meson install -C $(BUILD) --quiet

bench: deps build
	@bench/run $(BUILD)

bench-pull: deps build
	@bench/pull $(BUILD)

bench-engine: deps build
	@bench/engine $(BUILD)

clean:
	rm -rf $(BUILD) $(SANBUILD) $(FUZZBUILD)

.PHONY: all deps build build-sanitize demo check install bench bench-pull bench-engine clean
