#!/usr/bin/env python3
"""Mutation testing for the book: plausible mistakes in one chapter's code.

    tests/mutate/mutate.py CHAPTER [--max N] [--files GLOB,...] [--seed S]
                           [--list] [--only ID,...] [--keep]
    tests/mutate/mutate.py --apply FILE '|' OLD '|' NEW ... (see --help)

The code-only copies in build/src/ carry a map, build/src/PATH.lines, whose
line i names the chapter line that line i of the copy came from.  We take the
lines of CHAPTER's chunks, make mutants of them (a flipped or off-by-one
comparison, && for ||, + for -, a constant off by one, a dropped statement,
a removed check), and for each one: copy it into a private tree
(build/mutate/CHAPTER, a copy of the project), rebuild there with `make
programs`, and run the tests that cover the chapter (tests/mutate/tests.map).
A mutant is killed when a test prints FAIL, exits non-zero or runs out of
time; it survives when every test passes; it is stillborn when it does not
compile (not counted).  The chapters and generated/ are never touched.

Each survivor is reported with its chapter line, chapters/FILE.nw:LINE.
tests/mutate/equivalent lists mutants that cannot change behaviour (each
with its reason); they are left out of the score.
"""
import argparse, fnmatch, os, random, re, select, shutil, signal, subprocess, sys, time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SRC = os.path.join(TOP, 'build', 'src')
HERE = os.path.join(TOP, 'tests', 'mutate')


def die(msg):
    print('mutate: %s' % msg, file=sys.stderr)
    sys.exit(2)


# ---------------------------------------------------------------- the map
def chapter_file(chapter):
    names = sorted(n for n in os.listdir(os.path.join(TOP, 'chapters'))
                   if n.endswith('.nw') and n.startswith('%s-' % chapter))
    if not names:
        die('no chapters/%s-*.nw' % chapter)
    return 'chapters/' + names[0]


def copies():
    """Every code copy in build/src with its map, as (relpath, lines, where)."""
    out = []
    for d, _, files in os.walk(SRC):
        for f in sorted(files):
            if not f.endswith('.lines'):
                continue
            path = os.path.join(d, f[:-6])
            if not (path.endswith('.c') or path.endswith('.h')):
                continue
            with open(path) as fh:
                lines = fh.read().split('\n')
            with open(path + '.lines') as fh:
                where = [l.split(' ')[0] for l in fh.read().split('\n') if l]
            out.append((os.path.relpath(path, SRC), lines, where))
    return sorted(out)


def tests_for(chapter):
    """tests/mutate/tests.map: `NN test-file...`, cheapest first."""
    with open(os.path.join(HERE, 'tests.map')) as fh:
        for line in fh:
            w = line.split('#')[0].split()
            if w and w[0] == chapter:
                return w[1:]
    die('tests/mutate/tests.map names no tests for chapter %s' % chapter)


def equivalents():
    """tests/mutate/equivalent: `chapters/F.nw:LINE OP-TEXT  # reason`."""
    eq = set()
    p = os.path.join(HERE, 'equivalent')
    if os.path.exists(p):
        for line in open(p):
            w = ' '.join(line.split('#')[0].split())
            if w:
                eq.add(w)
    return eq


def check_equivalent():
    """Each line of tests/mutate/equivalent must name a mutant that exists:
    a chapter line moves when the chapter changes, and a stale line would
    quietly let its mutant back into the score (and excuse nothing)."""
    p = os.path.join(HERE, 'equivalent')
    found, bad = {}, 0
    for n, line in enumerate(open(p), 1):
        w = ' '.join(line.split('#')[0].split())
        if not w:
            continue
        chap = w.split(':')[0]
        if chap not in found:
            if not os.path.exists(os.path.join(TOP, chap)):
                print('tests/mutate/equivalent:%d: %s: no such chapter' % (n, chap))
                bad += 1
                continue
            found[chap] = {'%s %s' % (m['where'], m['op']) for m in mutants(chap, [])}
        if w not in found[chap]:
            print('tests/mutate/equivalent:%d: names no mutant (%s); the chapter line '
                  'moved? `make mutate CHAPTER=NN` with --list shows where it is now' % (n, w))
            bad += 1
    print('mutate: %d equivalent mutants checked, %d stale' % (
        sum(1 for l in open(p) if l.split('#')[0].strip()), bad))
    return 1 if bad else 0


# ---------------------------------------------------------------- mutants
def mask(line):
    """The line with string and character literals and comments blanked."""
    out, i, n = [], 0, len(line)
    while i < n:
        c = line[i]
        if c in '"\'':
            q = c
            out.append(' ')
            i += 1
            while i < n and line[i] != q:
                if line[i] == '\\':
                    out.append(' ')
                    i += 1
                out.append(' ')
                i += 1
            out.append(' ')
            i += 1
        elif line.startswith('//', i):
            out.append(' ' * (n - i))
            break
        elif line.startswith('/*', i):
            j = line.find('*/', i + 2)
            j = n if j < 0 else j + 2
            out.append(' ' * (j - i))
            i = j
        else:
            out.append(c)
            i += 1
    return ''.join(out)[:n]


REL = {'<': ['>=', '<='], '<=': ['>', '<'], '>': ['<=', '>='], '>=': ['<', '>'],
       '==': ['!='], '!=': ['==']}
TYPES = re.compile(r'^(const|static|struct|union|enum|unsigned|signed|int|long|char|'
                   r'bool|void|u8|u16|u32|u64|s8|s16|s32|s64|size_t|ssize_t|off_t|'
                   r'uint\w+|int\w+_t|volatile|register|extern|typedef|float|double)\b')
SKIP_STMT = re.compile(r'^(return|break|continue|goto|case|default|do|else)\b')


def balanced(s):
    return s.count('(') == s.count(')') and s.count('[') == s.count(']')


def line_mutants(text, prev):
    """(op, new line) for one line of C, given the previous code line."""
    m = mask(text)
    s = m.strip()
    out = []
    if not s or s.startswith('#') or s.startswith('*') or s == text.strip() == '':
        return out
    # comparisons: negated, and off by one at the boundary
    for mo in re.finditer(r'(?<![<>=!\-])(<=|>=|==|!=|<|>)(?![<>=])', m):
        op = mo.group(1)
        a, b = mo.start(), mo.end()
        if op in '<>' and (m[a - 1:a] == '-' or m[b:b + 1] == '>'):
            continue
        if op == '<' and re.search(r'#\s*include', m):
            continue
        for new in REL[op]:
            out.append(('%s -> %s' % (op, new), text[:a] + new + text[b:]))
    for mo in re.finditer(r'&&|\|\|', m):
        new = '||' if mo.group(0) == '&&' else '&&'
        out.append(('%s -> %s' % (mo.group(0), new), text[:mo.start()] + new + text[mo.end():]))
    # arithmetic, where the style's spaces say it is binary
    for mo in re.finditer(r'(?<=[\w)\]]) ([+-]) (?=[\w(])', m):
        new = '-' if mo.group(1) == '+' else '+'
        a = mo.start(1)
        out.append(('%s -> %s' % (mo.group(1), new), text[:a] + new + text[a + 1:]))
    # a small constant off by one, where it is an operand
    for mo in re.finditer(r'(?<=[-+<>=&|*/%] )(\d+)\b(?![.xXuUlL])', m):
        v = int(mo.group(1))
        if v > 4096:
            continue
        for new in ([v + 1] + ([v - 1] if v > 0 else [])):
            out.append(('%d -> %d' % (v, new), text[:mo.start(1)] + str(new) + text[mo.end(1):]))
    # a removed check: the whole condition on this line
    mo = re.match(r'^(\s*)(?:\} )?(if|else if) \((.*)\)\s*\{?\s*$', m)
    if mo and balanced(mo.group(3)):
        a = m.index('(', mo.start(2)) + 1
        b = m.rindex(')')
        out.append(('check removed', text[:a] + '0' + text[b:]))
    # a dropped statement: a whole simple statement on one line
    if (s.endswith(';') and balanced(s) and not TYPES.match(s) and not SKIP_STMT.match(s)
            and re.match(r'^[\w*(]', s) and prev.rstrip().endswith((';', '{', '}', ':', ')'))
            and not re.match(r'^\w+\s+\**\w+(\[.*\])?\s*(=|;)', s)):
        out.append(('statement dropped', re.match(r'^\s*', text).group(0) + ';'))
    return out


def mutants(chapter_path, globs):
    """Every mutant of the chapter's lines, as dicts."""
    out = []
    for rel, lines, where in copies():
        if globs and not any(fnmatch.fnmatch(rel, g) for g in globs):
            continue
        in_comment = False
        prev = ''
        for i, text in enumerate(lines):
            if i >= len(where):
                break
            stripped = text.strip()
            if in_comment:
                if '*/' in stripped:
                    in_comment = False
                continue
            if stripped.startswith('/*') and '*/' not in stripped:
                in_comment = True
                continue
            cl = where[i]
            if cl.rsplit(':', 1)[0] != chapter_path:
                if stripped:
                    prev = text
                continue
            for op, new in line_mutants(text, prev):
                out.append({'file': rel, 'line': i + 1, 'where': cl, 'op': op,
                            'old': text, 'new': new})
            if stripped and not stripped.startswith('#'):
                prev = text
    seen = {}
    for m in out:
        key = '%s:%d:%s' % (m['file'], m['line'], m['op'].replace(' ', '_'))
        seen[key] = seen.get(key, 0) + 1
        m['id'] = '%s#%d' % (key, seen[key])
    return out


# ---------------------------------------------------------------- running
def copy_project(dst):
    """A copy of the project at DST: the sources, and the book's build with
    its mtimes, so that make rebuilds there only what a change touches.
    (tests/labs/lab.py makes the students' trees with it too.)"""
    if os.path.exists(dst):
        shutil.rmtree(dst)
    os.makedirs(dst)
    for n in os.listdir(TOP):
        if n in ('.git', 'build'):
            continue
        s = os.path.join(TOP, n)
        if os.path.isdir(s):
            shutil.copytree(s, os.path.join(dst, n), symlinks=True,
                            ignore=shutil.ignore_patterns('html', 'lguest.pdf'))
        else:
            shutil.copy2(s, os.path.join(dst, n), follow_symlinks=False)
    os.makedirs(os.path.join(dst, 'build'))
    for n in ('src', 'obj', 'tools', 'tangled', 'lguest', 'host.elf', 'guest.elf', 'book.pipe'):
        s = os.path.join(TOP, 'build', n)
        if os.path.isdir(s):
            shutil.copytree(s, os.path.join(dst, 'build', n), symlinks=True)
        elif os.path.exists(s):
            shutil.copy2(s, os.path.join(dst, 'build', n))


class Tree:
    """A private copy of the project, in which mutants are built and tested."""

    def __init__(self, path):
        self.path = path
        copy_project(path)

    def build(self, timeout=300):
        r = subprocess.run(['make', '--no-print-directory', '-s', 'programs'], cwd=self.path,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout)
        return r.returncode == 0, r.stdout.decode(errors='replace')

    def write(self, rel, lines):
        p = os.path.join(self.path, 'build', 'src', rel)
        with open(p, 'w') as fh:
            fh.write('\n'.join(lines))
        t = time.time()
        os.utime(p, (t, t))

    def test(self, tests, timeout):
        """None if every test passed, else why the mutant died.  A test file
        is stopped at its first FAIL line: one is enough."""
        for t in tests:
            why = first_fail(['bash', t], self.path, timeout)
            if why:
                return '%s: %s' % (t, why)
        return None


def first_fail(cmd, cwd, timeout):
    """Run CMD; the first FAIL line, a bad exit status or a timeout, or None."""
    p = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.time() + timeout
    why = None
    fd = p.stdout.fileno()
    buf = b''
    while True:
        left = deadline - time.time()
        if left <= 0:
            why = 'timed out after %ds' % timeout
            break
        r, _, _ = select.select([fd], [], [], min(left, 1.0))
        if not r:
            continue
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        buf += chunk
        *lines, buf = buf.split(b'\n')
        for l in lines:
            if l.startswith(b'FAIL '):
                why = l.decode(errors='replace')[:160]
                break
        if why:
            break
    if why:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    rc = p.wait()
    p.stdout.close()
    if not why and rc != 0:
        why = 'exit status %d' % rc
    return why


def run_one(tree, m, originals, tests, timeout):
    lines = list(originals[m['file']])
    if lines[m['line'] - 1] != m['old']:
        return 'stale', 'the copy changed under us'
    lines[m['line'] - 1] = m['new']
    tree.write(m['file'], lines)
    try:
        ok, log = tree.build()
        if not ok:
            return 'stillborn', log.strip().split('\n')[-1][:160]
        why = tree.test(tests, timeout)
        return ('killed', why) if why else ('survived', '')
    finally:
        tree.write(m['file'], originals[m['file']])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('chapter', nargs='?', help='two digits: chapters/NN-*.nw')
    ap.add_argument('--max', type=int, default=int(os.environ.get('MUTATE_MAX', '60')),
                    help='at most N mutants, a fixed sample (0: all)')
    ap.add_argument('--files', default=os.environ.get('MUTATE_FILES', ''),
                    help='only copies matching these globs, e.g. host/hypercalls.c')
    ap.add_argument('--seed', type=int, default=13)
    ap.add_argument('--timeout', type=int, default=180, help='seconds per test file')
    ap.add_argument('--tests', default=os.environ.get('MUTATE_TESTS', ''),
                    help='test files instead of tests/mutate/tests.map')
    ap.add_argument('--list', action='store_true', help='list the mutants, run nothing')
    ap.add_argument('--check-equivalent', action='store_true',
                    help='check that every line of tests/mutate/equivalent names a mutant')
    ap.add_argument('--only', default='', help='comma-separated mutant ids')
    ap.add_argument('--apply', nargs=3, action='append', metavar=('FILE', 'OLD', 'NEW'),
                    help='one hand-made mutant: in build/src/FILE, the one line '
                         'containing OLD has it replaced by NEW (repeatable)')
    ap.add_argument('--no-baseline', action='store_true',
                    help='do not first prove the unmutated tree passes its tests')
    ap.add_argument('--tree', default='', help='the private tree (build/mutate/CHAPTER)')
    a = ap.parse_args()
    a.tree = a.tree or os.path.join(TOP, 'build', 'mutate', a.chapter or 'apply')
    if not os.path.isdir(SRC):
        die('build/src is missing: run make first')
    eq = equivalents()
    if a.check_equivalent:
        return check_equivalent()

    if a.apply:
        ms = []
        for f, old, new in a.apply:
            p = os.path.join(SRC, f)
            if not os.path.exists(p):
                die('%s: no such tangled file (was it renamed?)' % f)
            lines = open(p).read().split('\n')
            hits = [i for i, l in enumerate(lines) if old in l]
            if len(hits) != 1:
                die('%s: %d lines contain %r, need exactly one (the code changed: '
                    'update the mutant)' % (f, len(hits), old))
            i = hits[0]
            where = open(p + '.lines').read().split('\n')[i].split(' ')[0]
            ms.append({'file': f, 'line': i + 1, 'where': where, 'op': '%r -> %r' % (old, new),
                       'old': lines[i], 'new': lines[i].replace(old, new, 1),
                       'id': '%s:%d' % (f, i + 1)})
        tests = a.tests.split() if a.tests else tests_for(a.chapter)
    else:
        if not a.chapter:
            ap.error('name a chapter (two digits) or --apply')
        chap = chapter_file(a.chapter)
        globs = [g for g in a.files.split(',') if g]
        ms = mutants(chap, globs)
        ms = [m for m in ms if '%s %s' % (m['where'], m['op']) not in eq]
        if a.only:
            want = set(a.only.split(','))
            ms = [m for m in ms if m['id'] in want]
        elif a.max and len(ms) > a.max:
            ms = sorted(random.Random(a.seed).sample(ms, a.max),
                        key=lambda m: (m['file'], m['line']))
        tests = a.tests.split() if a.tests else tests_for(a.chapter)
        print('mutate: %s: %d mutants%s; tests: %s' % (
            chap, len(ms), ' (a fixed sample, seed %d)' % a.seed if a.max else '',
            ' '.join(tests)), flush=True)
    if a.list:
        for m in ms:
            print('%s %s  [%s]\n    %s' % (m['where'], m['op'], m['id'], m['new'].strip()))
        return 0

    tree = Tree(a.tree)
    ok, log = tree.build()
    if not ok:
        die('the unmutated tree does not build:\n' + log)
    why = None if a.no_baseline else tree.test(tests, a.timeout)
    if why:
        die('the unmutated tree fails its tests, fix that first: ' + why)
    originals = {}
    for m in ms:
        if m['file'] not in originals:
            originals[m['file']] = open(os.path.join(SRC, m['file'])).read().split('\n')
    count = {'killed': 0, 'survived': 0, 'stillborn': 0, 'stale': 0}
    survivors = []
    t0 = time.time()
    for k, m in enumerate(ms):
        res, why = run_one(tree, m, originals, tests, a.timeout)
        count[res] += 1
        print('%-9s %s %s  [%s] %s' % (res, m['where'], m['op'], m['id'],
                                       ('(%s)' % why) if why else ''), flush=True)
        if res == 'survived':
            survivors.append(m)
    tree.build()
    scored = count['killed'] + count['survived']
    pct = 100.0 * count['killed'] / scored if scored else 100.0
    print('mutate: %s: %d killed, %d survived, %d stillborn; %.0f%% killed (%.0f s)' % (
        a.chapter or 'apply', count['killed'], count['survived'], count['stillborn'], pct,
        time.time() - t0))
    for m in survivors:
        print('survivor: %s: %s: %s' % (m['where'], m['op'], m['new'].strip()))
    if a.apply:
        return 0 if count['survived'] == 0 and count['stillborn'] == 0 else 1
    return 0


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    sys.exit(main())
