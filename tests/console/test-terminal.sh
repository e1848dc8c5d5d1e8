#!/usr/bin/env bash
# The Launcher on a terminal, through a pseudo-terminal (tests/console/terminal.py):
# the terminal's settings after every way out (SIGQUIT, SIGUSR1/2, SIGALRM,
# SIGTERM, SIGHUP, SIGINT, Ctrl-\, a killed Guest, a crashed Host, an errx) equal those
# from before; SIGPIPE is ignored; Ctrl-Z and SIGTSTP give the terminal back
# and SIGCONT makes it raw again; Ctrl-D logs out; Ctrl-C interrupts a
# command (sleep, and ping on a LAN) and abandons a line, and only three
# within a second end the Launcher (also one started with SIGINT ignored).
# LGUEST=path tests another Launcher, GUEST_ELF another Guest.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0

lg=${LGUEST:-build/lguest}
guest=${GUEST_ELF:-build/guest.elf}
needs_machine terminal "$lg" "$guest" || exit 0
if ! command -v python3 >/dev/null; then skip terminal "python3 is missing (make deps)"; exit 0; fi

# The PVH fixture of tests/launcher, for a Host that kills its Guest and one
# that crashes.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fx=$work/pvh-hello.elf
if ! gcc -c -o "$work/pvh-hello.o" tests/launcher/fixtures/pvh-hello.S ||
   ! ld -m elf_x86_64 -nostdlib -static -z max-page-size=0x1000 --no-warn-rwx-segments \
	-T tests/launcher/fixtures/pvh-hello.ld -o "$fx" "$work/pvh-hello.o"; then
	skip terminal-fixture "cannot build tests/launcher/fixtures/pvh-hello.S"; fx=
fi
timeout 300 python3 tests/console/terminal.py "$(realpath "$lg")" "$(realpath "$guest")" $fx ||
	fail terminal "terminal.py ended with status $?"
exit 0
