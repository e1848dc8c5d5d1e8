/* Tangled from chapters/37-launcher-debug.nw by `make tangle`: edit the chapter, not this file. */
/*L:722 Choosing how gdb learns the chapters.
 * There are two ways to make `gdb` speak chapters. One rewrites the DWARF line
 * table at link time: every `build/src/` line in the line-number section becomes a
 * chapter line, and `gdb`, `addr2line` and `perf` all see chapters with no help.
 * But that table is written by the compiler into each object; rewriting it
 * means either recompiling after a prose edit (the line numbers change
 * although the code does not, and a prose-only edit must compile nothing), or
 * a link-time pass that parses and re-encodes the DWARF line program of every
 * object. The other way leaves the binaries alone and teaches `gdb` to read the
 * same `.lines` maps that `remap` and `explain` read, through its Python
 * interface. We choose the extension: it is a hundred lines instead of a DWARF
 * encoder, the maps are always current (a prose edit rewrites them and nothing
 * else), and the binaries stay what every other tool expects. Its cost is that
 * only `gdb` with our extension speaks chapters; `addr2line` goes through
 * `explain`.
 *
 * The extension is this chapter's second root; it is Python, run inside `gdb`
 * (`make gdb` loads it). The Makefile compiles only the `.c` and `.S` files of
 * `launcher/`, so this file is tangled but never built into the Launcher. :*/
# gdb in chapter lines: backtraces, list and breakpoints by chapters/*.nw line.
import os
import re

import gdb
from gdb.FrameDecorator import FrameDecorator

/*L:732 The maps.
 * The extension lives at `build/src/launcher/lguest-gdb.py`, three levels
 * below the top of the tree, and finds everything else from there. A copy's
 * map is read once and kept: a list whose entry *n* - 1 is the chapter file and
 * line of copy line *n*, or `None` where the tangler could not say (a `?`).
 * Only the first word of a map line matters to us; the second is the column
 * shift `remap` uses. :*/
TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
MARKER = re.compile(r"^@ ([A-Z]:[0-9]{3}) ?(.*)$")
maps, back, chapters = {}, None, {}
/*:*/

def copy_map(copy):
    if copy not in maps:
        rows = []
        try:
            with open(copy + ".lines") as f:
                for row in f:
                    path, _, n = (row.split() or ["?"])[0].rpartition(":")
                    rows.append((path, int(n)) if n.isdigit() else None)
        except OSError:
            rows = None
        maps[copy] = rows
    return maps[copy]

/*L:742 From copy to chapter and back.
 * `gdb` knows a line by the file name the compiler was given
 * (`build/src/host/main.c`, or the absolute path of it); we cut the name at
 * `build/src/` and look in our own tree. The way back, from a chapter line to
 * code, is the map read backwards. A chapter line need not carry code (it may
 * be blank, prose, or a chunk's name), so we take the first line at or after
 * it, within a few lines, that some copy was made from. One chapter line can
 * stand in several copies: the code of `lib/` is compiled into the Host and
 * into the Guest, so a breakpoint there gets one location in each. :*/
def to_chapter(filename, line):
    i = (filename or "").find("build/src/")
    rows = copy_map(os.path.join(TOP, filename[i:])) if i >= 0 else None
    if not rows or not 1 <= line <= len(rows):
        return None
    return rows[line - 1]
/*:*/

def from_chapter(chapter, line):
    global back
    if back is None:
        back = {}
        for root, _, files in os.walk(os.path.join(TOP, "build", "src")):
            for name in (f[:-6] for f in files if f.endswith(".lines")):
                copy = os.path.join(root, name)
                for n, place in enumerate(copy_map(copy) or [], 1):
                    back.setdefault(place, []).append((copy, n))
    for k in range(line, line + 30):
        if (chapter, k) in back:
            return k, back[(chapter, k)]
    return None, []

/*L:752 The step a line stands in.
 * Every answer names the step as well as the line, as `explain` does: the
 * nearest marker above the line, with its title. :*/
def chapter_lines(chapter):
    if chapter not in chapters:
        with open(os.path.join(TOP, chapter)) as f:
            chapters[chapter] = f.read().split("\n")
    return chapters[chapter]


def step_of(chapter, line):
    text = chapter_lines(chapter)
    for i in range(min(line, len(text)) - 1, -1, -1):
        m = MARKER.match(text[i])
        if m:
            return m.group(1) + " " + m.group(2)
    return "no step"
/*:*/

/*L:762 Backtraces.
 * `gdb` prints a backtrace through frame filters, when any are installed: a
 * filter takes the stream of frames and may wrap each in a decorator that
 * answers "which file, which line" differently. Ours answers with the chapter
 * line, and leaves the function, its arguments and the address alone. :*/
class ChapterFrame(FrameDecorator):
    def __init__(self, fobj):
        super().__init__(fobj)
        sal = fobj.inferior_frame().find_sal()
        self.place = to_chapter(sal.symtab.filename, sal.line) if sal.symtab else None

    def filename(self):
        return self.place[0] if self.place else super().filename()

    def line(self):
        return self.place[1] if self.place else super().line()


class ChapterFilter:
    def __init__(self):
        self.name, self.priority, self.enabled = "lguest-chapters", 100, True
        gdb.frame_filters[self.name] = self

    def filter(self, frames):
        return map(ChapterFrame, frames)
/*:*/

/*L:772 list.
 * A Python command may take the name of one of `gdb`'s own, and then replaces
 * it; we replace `list`. It shows the chapter, prose and all, around the
 * place: the selected frame's line with no argument (and, asked again with the
 * frame unchanged, the lines that follow), a chapter line, or anything `gdb` itself can resolve to a line
 * (`list host_main`, `list build/src/host/main.c:12`). :*/
def here():
    try:
        sal = gdb.selected_frame().find_sal()
    except gdb.error:
        return None
    return to_chapter(sal.symtab.filename, sal.line) if sal.symtab else None


def print_around(chapter, line, before=4, after=5):
    text = chapter_lines(chapter)
    for n in range(max(1, line - before), min(len(text), line + after) + 1):
        print("%s%5d  %s" % ("=>" if n == line else "  ", n, text[n - 1]))
    return min(len(text), line + after)
/*:*/

class ChapterList(gdb.Command):
    """list [chapters/F.nw:LINE | FUNCTION | FILE:LINE]: the chapter around it."""

    def __init__(self):
        super().__init__("list", gdb.COMMAND_FILES)
        self.origin = self.next = None

    def invoke(self, arg, from_tty):
        arg = arg.strip()
        if not arg and self.next and here() == self.origin:
            place = self.next
        elif not arg:
            place = here()
        elif re.match(r"^chapters/.*\.nw:\d+$", arg):
            chapter, _, n = arg.rpartition(":")
            place = (chapter, int(n))
        else:
            sals = gdb.decode_line(arg)[1]
            sal = sals[0] if sals else None
            place = to_chapter(sal.symtab.filename, sal.line) if sal and sal.symtab else None
        if not place:
            raise gdb.GdbError("list: no chapter line is known for '%s'" % arg)
        print("%s (%s)" % (place[0], step_of(*place)))
        self.origin, self.next = here(), (place[0], print_around(*place) + 5)

/*L:782 Breakpoints by chapter line.
 * `lbreak chapters/41-host-paging.nw:514` sets a breakpoint on the code that
 * chapter line became, through the map read backwards; `lhbreak` does the same
 * with a hardware breakpoint, which is the only kind this machine's KVM can
 * honour in the Host (see the table above). Each location is printed with its
 * copy line and its step, so the reader sees where the breakpoint really went. :*/
class ChapterBreak(gdb.Command):
    """lbreak chapters/F.nw:LINE: break on the code told on that line (lhbreak: in hardware)."""

    def __init__(self, name, hardware):
        super().__init__(name, gdb.COMMAND_BREAKPOINTS)
        self.hardware = hardware

    def invoke(self, arg, from_tty):
        chapter, _, n = arg.strip().rpartition(":")
        line, copies = from_chapter(chapter, int(n)) if n.isdigit() else (None, [])
        if not copies:
            raise gdb.GdbError("%s: no code on or just after this line" % arg)
        kind = gdb.BP_HARDWARE_BREAKPOINT if self.hardware else gdb.BP_BREAKPOINT
        for copy, k in copies:
            spec = "%s:%d" % (os.path.relpath(copy, TOP), k)
            gdb.Breakpoint(spec, type=kind)
            print("  %s:%d is %s (%s)" % (chapter, line, spec, step_of(chapter, line)))
/*:*/

/*L:792 Stops.
 * When the program stops, `gdb` prints the frame with the copy's file and line;
 * frame filters do not reach that printing. So below it we print the chapter
 * line, its step and its text ourselves, at a stop and whenever the selected
 * frame changes (`up`, `down`, `frame`). We leave `gdb`'s own line alone: its
 * short form, `set print frame-info short-location`, would also strip the
 * places from backtraces, filters or not. :*/
shown = [None]


def show_place(event=None):
    try:
        pc = gdb.selected_frame().pc()
    except gdb.error:
        return
    place = here()
    if place and (event is not None or shown[0] != pc):
        print("  at %s:%d (%s)" % (place[0], place[1], step_of(*place)))
        print("  %s" % chapter_lines(place[0])[place[1] - 1].strip())
    shown[0] = pc
/*:*/

ChapterFilter()
ChapterList()
ChapterBreak("lbreak", False)
ChapterBreak("lhbreak", True)
gdb.events.stop.connect(show_place)
gdb.events.before_prompt.connect(lambda: show_place())
/*:*/
