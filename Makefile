# Builds eseal's C ABI with cargo and installs it for C programs:
#
#   make install PREFIX=/usr/local                  # cargo build -p eseal-ffi --release, then install
#   make install PREFIX=/tmp/eseal PROFILE=debug    # from the debug build
#   make install PREFIX=... BUILD_DIR=DIR NO_BUILD=1  # libraries already built in DIR
#   make install-strip PREFIX=...                   # the same, libraries without debug info
#   make install PREFIX=... CARGO_FLAGS="--features pkcs11"  # more arguments of cargo build
#   make install PREFIX=... CARGO_FLAGS="--features postgres"  # offices with their registry in PostgreSQL
#
# installs, after cargo-c's conventions (here for version 0.1.0):
#
#   $(PREFIX)/lib/libeseal.so.0.1.0       the shared library, SONAME libeseal.so.0.1
#   $(PREFIX)/lib/libeseal.so.0.1         -> libeseal.so.0.1.0 (what programs load)
#   $(PREFIX)/lib/libeseal.so             -> libeseal.so.0.1.0 (what -leseal links)
#   $(PREFIX)/lib/libeseal.a
#   $(PREFIX)/include/eseal.h
#   $(PREFIX)/lib/pkgconfig/eseal.pc
#
# The SONAME (set by build.rs) is libeseal.so.MAJOR, or libeseal.so.0.MINOR before 1.0:
# it changes with any incompatible change of the C ABI, so a program keeps loading a
# library it can call. DESTDIR is honoured for staged installs.
#
# Every file is written to a temporary file in its destination directory and renamed over
# the old one, as distribution packages do: a running program that maps the old library
# keeps its (now unlinked) file intact, where rewriting it in place would make the program
# die with SIGBUS.
PREFIX ?= /usr/local
PROFILE ?= release
CARGO ?= cargo
CARGO_FLAGS ?=
INSTALL ?= install
OBJCOPY ?= objcopy
READELF ?= readelf
CARGO_TARGET_DIR ?= target
BUILD_DIR ?= $(CARGO_TARGET_DIR)/$(PROFILE)

LIBDIR := $(PREFIX)/lib
INCLUDEDIR := $(PREFIX)/include
PKGCONFIGDIR := $(LIBDIR)/pkgconfig
VERSION := $(shell sed -n 's/^version = "\(.*\)"/\1/p' ffi/Cargo.toml | head -n 1)
# MAJOR.MINOR.PATCH without a pre-release or build suffix.
VERSION_NUMBER := $(shell echo '$(VERSION)' | sed 's/[-+].*//')
# The SONAME's version, as build.rs computes it.
SOVERSION := $(shell echo '$(VERSION_NUMBER)' | \
  awk -F. '{ if ($$1 > 0) print $$1; else if ($$2 > 0) print "0." $$2; else print "0.0." $$3 }')
SONAME := libeseal.so.$(SOVERSION)
SHARED_LIB := libeseal.so.$(VERSION_NUMBER)

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

# eseal.pc from its template, as a COPY command of `put`.
PC_FROM_TEMPLATE = pc() { sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' "$$1" > "$$2"; } && pc

# $(call put,COPY,FROM,TO,MODE): copies FROM with COPY into a new temporary file beside TO,
# then renames it over TO (rename(2) replaces the name, never the old file's content).
put = tmp='$(dir $(3)).$(notdir $(3)).new.'$$$$ && \
  { $(1) '$(2)' "$$tmp" && chmod $(4) "$$tmp" && mv -f "$$tmp" '$(3)' || { rm -f "$$tmp"; exit 1; }; }

# $(call link,TARGET,NAME): makes NAME a symbolic link to TARGET, renamed into place too.
link = tmp='$(dir $(2)).$(notdir $(2)).new.'$$$$ && \
  { ln -s '$(1)' "$$tmp" && mv -fT "$$tmp" '$(2)' || { rm -f "$$tmp"; exit 1; }; }

install: build
	@$(READELF) -d $(BUILD_DIR)/libeseal_ffi.so | grep -qF 'Library soname: [$(SONAME)]' || \
	  { echo "$(BUILD_DIR)/libeseal_ffi.so has not the SONAME $(SONAME) (see build.rs)" >&2; exit 1; }
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	$(call put,$(COPY_LIB),$(BUILD_DIR)/libeseal_ffi.so,$(DESTDIR)$(LIBDIR)/$(SHARED_LIB),755)
	$(call link,$(SHARED_LIB),$(DESTDIR)$(LIBDIR)/$(SONAME))
	$(call link,$(SHARED_LIB),$(DESTDIR)$(LIBDIR)/libeseal.so)
	$(call put,$(COPY_LIB),$(BUILD_DIR)/libeseal_ffi.a,$(DESTDIR)$(LIBDIR)/libeseal.a,644)
	$(call put,cp,include/eseal.h,$(DESTDIR)$(INCLUDEDIR)/eseal.h,644)
	$(call put,$(PC_FROM_TEMPLATE),eseal.pc.in,$(DESTDIR)$(PKGCONFIGDIR)/eseal.pc,644)

install-strip:
	$(MAKE) install COPY_LIB="$(OBJCOPY) --strip-debug"

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/$(SHARED_LIB) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	  $(DESTDIR)$(LIBDIR)/libeseal.so $(DESTDIR)$(LIBDIR)/libeseal.a \
	  $(DESTDIR)$(INCLUDEDIR)/eseal.h $(DESTDIR)$(PKGCONFIGDIR)/eseal.pc

.PHONY: all build install install-strip uninstall
