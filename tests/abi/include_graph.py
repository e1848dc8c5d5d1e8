#!/usr/bin/env python3
"""The include graph of generated/, component to component (issue 15).

A component is a top directory of generated/: launcher, host, guest, drivers,
lib, include.  `#include "x.h"` is resolved as the compiler does: the
including file's own directory first, then the -I directories of the program
it belongs to (the Makefile's HOST/GUEST/LAUNCHER_CFLAGS).  An edge is
allowed when it is one of ALLOWED; every other edge between two components is
reported as `file:line: component -> component (x.h)`.

  include_graph.py GENERATED            check; exit 1 on a forbidden edge
  include_graph.py --dot GENERATED      the graph, in Graphviz, for the book

An include graph can be clean while the code still runs in a circle: before
the drivers registered themselves, guest/guest.h declared driver functions
and the kernel called them, without a single forbidden #include.  So the
check also reads every function the kernel's headers declare and reports one
that only drivers/ defines: `file:line: guest declares NAME, defined in drivers/`.
"""
import os, re, sys

# Who may include whom.  Everything may reach include/, the ABI; the drivers
# reach the Guest kernel through its one header (guest.h, where the
# registration interface is); nothing else crosses a component boundary.
ALLOWED = {(c, "include") for c in ("launcher", "host", "guest", "drivers", "lib")}
ALLOWED.add(("drivers", "guest"))
DRIVERS_MAY_INCLUDE = {"guest.h"}
# The -I directories of each program (Makefile), after the file's own dir.
SEARCH = {"launcher": ["include"], "host": ["include"], "lib": ["include"],
          "guest": ["include", "guest", "drivers"], "drivers": ["include", "guest", "drivers"],
          "include": ["include"]}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def edges(gen):
    for comp in sorted(os.listdir(gen)):
        d = os.path.join(gen, comp)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            path = os.path.join(d, name)
            with open(path, errors="replace") as f:
                for n, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    found = next((os.path.join(gen, c, m.group(1)) for c in [comp] + SEARCH.get(comp, [])
                                  if os.path.exists(os.path.join(gen, c, m.group(1)))), None)
                    target = found and os.path.relpath(os.path.realpath(found),
                                                       os.path.realpath(gen)).split(os.sep)[0]
                    yield path, n, comp, target, os.path.basename(m.group(1))


DECL = re.compile(r'^[A-Za-z_][\w\s\*]*?\b(\w+)\s*\([^;{]*\)[^;{]*;')


def defined_in(gen, comp, name):
    """Does some file of component comp define function (or asm label) name?"""
    d = os.path.join(gen, comp)
    body = re.compile(r'^[A-Za-z_][\w\s\*]*\b' + name + r'\s*\([^;]*$|^' + name + r':')
    for f in os.listdir(d):
        if f.endswith((".c", ".S")):
            with open(os.path.join(d, f), errors="replace") as fh:
                if any(body.match(line) for line in fh):
                    return True
    return False


def kernel_declares_drivers(gen):
    """The kernel declares nothing (in a header or locally) that only drivers/ defines."""
    for h in sorted(os.listdir(os.path.join(gen, "guest"))):
        if not h.endswith((".h", ".c")):
            continue
        path = os.path.join(gen, "guest", h)
        with open(path, errors="replace") as f:
            for n, line in enumerate(f, 1):
                m = DECL.match(line)
                if m and "typedef" not in line and not defined_in(gen, "guest", m.group(1)) \
                        and defined_in(gen, "drivers", m.group(1)):
                    yield f"{path}:{n}: guest declares {m.group(1)}, defined in drivers/"


def main(argv):
    dot = argv[1:2] == ["--dot"]
    gen = argv[-1]
    seen, bad = set(), 0
    for path, n, src, dst, header in edges(gen):
        if dst is None:
            print(f"{path}:{n}: {header} is found in no component")
            bad += 1
        elif src != dst:
            seen.add((src, dst))
            if (src, dst) not in ALLOWED or (src, dst) == ("drivers", "guest") and header not in DRIVERS_MAY_INCLUDE:
                print(f"{path}:{n}: {src} -> {dst} ({header}) is not an allowed edge")
                bad += 1
    for why in kernel_declares_drivers(gen):
        print(why)
        bad += 1
    if dot:
        print("digraph includes {")
        for s, d in sorted(seen):
            print(f"  {s} -> {d};")
        print("}")
        return 0
    print(f"include graph: {len(seen)} edges between components, {bad} forbidden")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
