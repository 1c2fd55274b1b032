# ops: `top` (ncurses), `metrics` (libevent's evhttp), man page, completion,
# systemd unit, and `make install`.
#
#   make install [PREFIX=/usr/local] [DESTDIR=/tmp/stage]
#   make check-man      render docs/ipcscope.1 with groff, warnings fatal
#   make check-unit     systemd-analyze verify scripts/ipcscope-metrics.service

LDLIBS += $(shell pkg-config --libs libevent_core libevent_extra 2>/dev/null || echo -levent_core -levent_extra)
LDLIBS += $(shell pkg-config --libs ncursesw 2>/dev/null || echo -lncursesw -ltinfo)
CFLAGS += $(shell pkg-config --cflags libevent_core ncursesw 2>/dev/null)

PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
COMPLDIR   ?= $(PREFIX)/share/bash-completion/completions
UNITDIR    ?= $(PREFIX)/lib/systemd/system
INSTALL    ?= install

.PHONY: install uninstall check-man check-unit

install: $(BIN)
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(COMPLDIR) $(DESTDIR)$(UNITDIR)
	$(INSTALL) -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/ipcscope
	$(INSTALL) -m 0644 docs/ipcscope.1 $(DESTDIR)$(MANDIR)/man1/ipcscope.1
	$(INSTALL) -m 0644 scripts/ipcscope.bash-completion $(DESTDIR)$(COMPLDIR)/ipcscope
	sed 's|@BINDIR@|$(BINDIR)|g' scripts/ipcscope-metrics.service > $(DESTDIR)$(UNITDIR)/ipcscope-metrics.service.tmp
	chmod 0644 $(DESTDIR)$(UNITDIR)/ipcscope-metrics.service.tmp
	mv $(DESTDIR)$(UNITDIR)/ipcscope-metrics.service.tmp $(DESTDIR)$(UNITDIR)/ipcscope-metrics.service

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ipcscope $(DESTDIR)$(MANDIR)/man1/ipcscope.1 \
	      $(DESTDIR)$(COMPLDIR)/ipcscope $(DESTDIR)$(UNITDIR)/ipcscope-metrics.service

check-man:
	$(Q)LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z docs/ipcscope.1 2>&1 | (! grep .)

check-unit:
	$(Q)scripts/check-unit.sh

# The layers point one way (docs/hacking.md): includes and cross-command symbols.
.PHONY: check-layers
check-layers: $(BIN)
	$(Q)scripts/check-layers.sh $(BUILD)
