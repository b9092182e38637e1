# Builds eseal's C ABI with cargo and installs it for C programs:
#
#   make install PREFIX=/usr/local                  # cargo build -p eseal-ffi --release, then install
#   make install PREFIX=/tmp/eseal PROFILE=debug    # from the debug build
#   make install PREFIX=... BUILD_DIR=DIR NO_BUILD=1  # libraries already built in DIR
#   make install-strip PREFIX=...                   # the same, libraries without debug info
#   make install PREFIX=... CARGO_FLAGS="--features pkcs11"  # more arguments of cargo build
#
# installs $(PREFIX)/lib/libeseal.so, $(PREFIX)/lib/libeseal.a, $(PREFIX)/include/eseal.h and
# $(PREFIX)/lib/pkgconfig/eseal.pc. DESTDIR is honoured for staged installs.
PREFIX ?= /usr/local
PROFILE ?= release
CARGO ?= cargo
CARGO_FLAGS ?=
INSTALL ?= install
OBJCOPY ?= objcopy
CARGO_TARGET_DIR ?= target
BUILD_DIR ?= $(CARGO_TARGET_DIR)/$(PROFILE)

LIBDIR := $(PREFIX)/lib
INCLUDEDIR := $(PREFIX)/include
PKGCONFIGDIR := $(LIBDIR)/pkgconfig
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n 1)

ifeq ($(PROFILE),release)
CARGO_PROFILE := --release
else ifeq ($(PROFILE),debug)
CARGO_PROFILE :=
else
CARGO_PROFILE := --profile $(PROFILE)
endif

all: build

build:
ifndef NO_BUILD
	$(CARGO) build -p eseal-ffi $(CARGO_PROFILE) $(CARGO_FLAGS)
endif

# How the libraries are copied: as they are, or (install-strip) without debug info.
COPY_LIB ?= cp

install: build
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	$(COPY_LIB) $(BUILD_DIR)/libeseal_ffi.so $(DESTDIR)$(LIBDIR)/libeseal.so
	$(COPY_LIB) $(BUILD_DIR)/libeseal_ffi.a $(DESTDIR)$(LIBDIR)/libeseal.a
	chmod 755 $(DESTDIR)$(LIBDIR)/libeseal.so
	chmod 644 $(DESTDIR)$(LIBDIR)/libeseal.a
	$(INSTALL) -m 644 include/eseal.h $(DESTDIR)$(INCLUDEDIR)/eseal.h
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' eseal.pc.in \
	  > $(DESTDIR)$(PKGCONFIGDIR)/eseal.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/eseal.pc

install-strip:
	$(MAKE) install COPY_LIB="$(OBJCOPY) --strip-debug"

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libeseal.so $(DESTDIR)$(LIBDIR)/libeseal.a \
	  $(DESTDIR)$(INCLUDEDIR)/eseal.h $(DESTDIR)$(PKGCONFIGDIR)/eseal.pc

.PHONY: all build install install-strip uninstall
