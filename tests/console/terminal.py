#!/usr/bin/env python3
"""The Launcher on a terminal (L:908-L:913), driven through a pseudo-terminal.

Each case starts the Launcher on a fresh pty, as the foreground job of a small
session leader (so that a stop by SIGTSTP really stops it, as under a shell
with job control), does one thing to it, and checks the terminal's settings
afterwards against those from before. Prints `ok NAME` / `FAIL NAME: why`.

usage: terminal.py LAUNCHER GUEST [FIXTURE]
"""
import fcntl, os, re, resource, select, signal, subprocess, sys, tempfile, termios, time

LG, GUEST = sys.argv[1], sys.argv[2]
FIXTURE = sys.argv[3] if len(sys.argv) > 3 else None


def ok(name):
    print("ok " + name, flush=True)


def fail(name, why):
    print("FAIL %s: %s" % (name, why.replace("\n", "|")), flush=True)


class Run:
    """The Launcher on a pty: master side, the slave kept open for tcgetattr."""

    def __init__(self, args, ignored=()):
        self.ignored = ignored    # signals the Launcher starts with ignored
        self.master, self.slave = os.openpty()
        self.before = termios.tcgetattr(self.slave)
        rd, wr = os.pipe()
        leader = os.fork()
        if leader == 0:
            os.close(rd)
            self._leader(args, wr)
        os.close(wr)
        self.leader, self.status_fd = leader, rd
        line = self._line()
        if not line.isdigit():
            raise RuntimeError("the session leader says: " + line)
        self.pid = int(line)
        self.out = b""
        self.status = None

    def _leader(self, args, wr):
        try:
            os.setsid()
            fcntl.ioctl(self.slave, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(self.slave, fd)
            os.close(self.master)
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            signal.signal(signal.SIGTTOU, signal.SIG_IGN)
            child = os.fork()
            if child == 0:
                os.setpgid(0, 0)
                os.tcsetpgrp(0, os.getpid())
                signal.signal(signal.SIGTTOU, signal.SIG_DFL)
                for sig in self.ignored:
                    signal.signal(sig, signal.SIG_IGN)
                os.execv(LG, [LG] + args)
            try:
                os.setpgid(child, child)
            except PermissionError:
                pass    # the child has set it itself and gone on to exec
            os.write(wr, b"%d\n" % child)
            _, st = os.waitpid(child, 0)
            if os.WIFSIGNALED(st):
                os.write(wr, b"signal %d\n" % os.WTERMSIG(st))
            else:
                os.write(wr, b"exit %d\n" % os.WEXITSTATUS(st))
        except BaseException as e:
            os.write(wr, b"error %s\n" % repr(e).encode())
        finally:
            os._exit(0)

    def _line(self):
        s = b""
        while not s.endswith(b"\n"):
            c = os.read(self.status_fd, 1)
            if not c:
                break
            s += c
        return s.decode().strip()

    def read(self, timeout):
        r, _, _ = select.select([self.master], [], [], timeout)
        if r:
            try:
                self.out += os.read(self.master, 4096)
            except OSError:
                return False
            return True
        return False

    def expect(self, pattern, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if re.search(pattern, self.out):
                return True
            self.read(min(0.1, max(0, end - time.time())))
        return bool(re.search(pattern, self.out))

    def send(self, data):
        os.write(self.master, data)

    def wait(self, timeout=10):
        """The Launcher's end: 'exit N' or 'signal N', or None if still running."""
        if self.status is None:
            end = time.time() + timeout
            while time.time() < end:
                r, _, _ = select.select([self.status_fd, self.master], [], [], 0.1)
                if self.master in r:
                    self.read(0)
                if self.status_fd in r:
                    self.status = self._line()
                    break
        return self.status

    def state(self):
        try:
            with open("/proc/%d/stat" % self.pid) as f:
                return f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            return "gone"

    def tty(self):
        return termios.tcgetattr(self.slave)

    def raw(self):
        return not self.tty()[3] & termios.ICANON

    def sane(self):
        return self.tty() == self.before

    def close(self):
        if self.status is None:
            for sig in (signal.SIGCONT, signal.SIGKILL):
                try:
                    os.kill(self.pid, sig)
                except OSError:
                    pass
            self.wait(5)
        try:
            os.waitpid(self.leader, 0)
        except OSError:
            pass
        for fd in (self.master, self.slave, self.status_fd):
            os.close(fd)

    def tail(self):
        return self.out[-160:].decode(errors="replace")


def shell(args=None, ignored=()):
    r = Run((args or []) + [GUEST], ignored)
    if not r.expect(rb"lguest> ", 20):
        return r, "no prompt: " + r.tail()
    if not r.raw():
        return r, "the terminal is not raw while the shell runs"
    return r, None


def ended(name, r, want, why=""):
    """The Launcher ended as WANT says and the terminal is as before."""
    st = r.wait(10)
    if st != want:
        fail(name, "ended '%s', want '%s'%s: %s" % (st, want, why, r.tail()))
    elif not r.sane():
        fail(name, "the terminal is not as before after '%s'" % st)
    else:
        ok(name)


def case(name, body, ignored=()):
    r = None
    try:
        r, err = shell(ignored=ignored)
        if err:
            fail(name, err)
        else:
            body(name, r)
    except Exception as e:
        fail(name, repr(e))
    finally:
        if r:
            r.close()


# ---- signals that end a process: the terminal is put back, and the
# Launcher still dies of the signal
for sig in ("SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM", "SIGTERM", "SIGHUP", "SIGINT"):
    n = getattr(signal, sig)
    case("terminal-" + sig.lower(),
         lambda name, r, n=n: (os.kill(r.pid, n), ended(name, r, "signal %d" % n)))


def survives(name, r, what, status):
    """The Launcher must still be running after WHAT; then poweroff STATUS ends it."""
    if r.wait(0.2):
        fail(name, what + " ended the Launcher: " + r.status)
        return
    r.send(b"poweroff %d\r" % status)
    ended(name, r, "exit %d" % status)


def sigpipe(name, r):
    os.kill(r.pid, signal.SIGPIPE)
    time.sleep(0.3)
    survives(name, r, "SIGPIPE", 3)


case("terminal-sigpipe-ignored", sigpipe)

# Ctrl-\ is still the terminal's quit key
case("terminal-ctrl-backslash",
     lambda name, r: (r.send(b"\x1c"), ended(name, r, "signal %d" % signal.SIGQUIT)))


# ---- stops: the terminal is the user's while we are stopped, raw again after
def stopped(name, r, how):
    if how == "key":
        r.send(b"\x1a")
    else:
        os.kill(r.pid, signal.SIGTSTP)
    for _ in range(50):
        if r.state() == "T":
            break
        time.sleep(0.1)
    if r.state() != "T":
        fail(name, "the Launcher did not stop (state %s)" % r.state())
        return
    if not r.sane():
        fail(name, "stopped, and the terminal is not as before")
        return
    os.kill(r.pid, signal.SIGCONT)
    for _ in range(50):
        if r.state() != "T" and r.raw():
            break
        time.sleep(0.1)
    if not r.raw():
        fail(name, "continued, and the terminal is not raw again")
        return
    r.send(b"uptime\r")
    if not r.expect(rb"up [0-9.]+ s", 10):
        fail(name, "the shell does not answer after SIGCONT: " + r.tail())
        return
    r.send(b"poweroff 2\r")
    ended(name, r, "exit 2")


case("terminal-sigtstp-and-sigcont", lambda name, r: stopped(name, r, "kill"))
case("terminal-ctrl-z-and-sigcont", lambda name, r: stopped(name, r, "key"))

# ---- Ctrl-D on an empty line logs out
case("terminal-ctrl-d", lambda name, r: (r.send(b"\x04"), ended(name, r, "exit 0")))


# ---- Ctrl-C reaches the Guest: it interrupts a command, and abandons a line
def ctrl_c(name, r):
    r.send(b"sleep 30\r")
    if not r.expect(rb"sleep 30\r\n", 5):
        fail(name, "no echo of the command: " + r.tail())
        return
    time.sleep(0.5)
    t = time.time()
    r.send(b"\x03")
    if not r.expect(rb"\^C\r\nlguest> $", 3):
        fail(name, "no ^C and prompt after Ctrl-C: " + r.tail())
        return
    print("# Ctrl-C to the prompt: %.0f ms" % ((time.time() - t) * 1000))
    if r.wait(0.3):
        fail(name, "Ctrl-C ended the Launcher: " + r.status)
    else:
        r.send(b"uptim\x03")
        if not r.expect(rb"uptim\^C\r\nlguest> $", 3):
            fail(name, "Ctrl-C at the prompt did not abandon the line: " + r.tail())
            return
        r.send(b"poweroff 5\r")
        ended(name, r, "exit 5")


case("terminal-ctrl-c-interrupts-a-command", ctrl_c)

# ---- the way out: three Ctrl-C within a second
case("terminal-three-ctrl-c-end-the-launcher",
     lambda name, r: (r.send(b"\x03\x03\x03"),
                      ended(name, r, "signal %d" % signal.SIGINT),
                      r.expect(rb"three Ctrl-C", 1) or fail(name + "-message", r.tail())))

# ... also when it started with SIGINT ignored (nohup, or `&` in a script):
# the escape must not be ignored with it.
case("terminal-three-ctrl-c-end-the-launcher-sigint-ignored",
     lambda name, r: (r.send(b"\x03\x03\x03"), ended(name, r, "signal %d" % signal.SIGINT)),
     ignored=(signal.SIGINT,))


def slow(name, r):
    for _ in range(3):
        r.send(b"\x03")
        time.sleep(0.6)
    survives(name, r, "three Ctrl-C in 1.2 s", 4)


case("terminal-slow-ctrl-c-are-not-the-escape", slow)


# ---- a killed Guest and a crashed Host leave through exit: the terminal too
def ends_alone(name, args, want):
    r = Run(args)
    try:
        ended(name, r, want)
    finally:
        r.close()


ends_alone("terminal-guest-killed-by-launcher", [GUEST, "hostile=30"], "exit 125")
if FIXTURE:
    ends_alone("terminal-guest-killed-by-host", ["--host=" + FIXTURE, FIXTURE, "kill"], "exit 125")
    ends_alone("terminal-host-crashed", ["--host=" + FIXTURE, FIXTURE, "crash"], "exit 126")
    # an errx of the Launcher's, after the terminal went raw: a window outside RAM
    ends_alone("terminal-launcher-errx", ["--host=" + FIXTURE, FIXTURE, "window"], "exit 126")


# ---- ping on a LAN, to an address nobody answers: Ctrl-C stops it
def ping(name):
    work = tempfile.mkdtemp()
    sw = subprocess.Popen([LG, "switch", work + "/sw"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
    r = None
    try:
        for _ in range(50):
            if os.path.exists(work + "/sw"):
                break
            time.sleep(0.1)
        r = Run(["--net=" + work + "/sw", GUEST, "ip=10.0.0.1"])
        if not r.expect(rb"lguest> ", 20):
            fail(name, "no prompt: " + r.tail())
            return
        r.send(b"ping 10.0.0.9 100\r")
        if not r.expect(rb"PING 10.0.0.9", 5):
            fail(name, "ping did not start: " + r.tail())
            return
        time.sleep(0.5)
        r.send(b"\x03")
        if not r.expect(rb"\^C\r\nlguest> $", 2):
            fail(name, "no prompt within 2 s of Ctrl-C: " + r.tail())
        elif b"no answer" in r.out:
            fail(name, "ping went on to its end: " + r.tail())
        else:
            r.send(b"poweroff 6\r")
            ended(name, r, "exit 6")
    finally:
        if r:
            r.close()
        sw.terminate()
        sw.wait()
        subprocess.run(["rm", "-rf", work])


ping("terminal-ctrl-c-interrupts-ping")
