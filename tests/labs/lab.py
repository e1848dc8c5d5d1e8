#!/usr/bin/env python3
"""Labs: a chapter's chunk blanked, for a student to write again.

    tests/labs/lab.py make NAME      the student's tree, build/labs/NAME
    tests/labs/lab.py check NAME     build that tree and run the lab's judges in it
    tests/labs/lab.py verify [NAME]  for every lab (or one): the blank fails its
                                     judges, the book's code (this tree) passes them
    tests/labs/lab.py list           the labs, one a line

A lab is a file tests/labs/NAME.lab of `key: value` lines:

    chapter: 33                 the chapter, by its two digits
    chunk: NAME                 a code chunk of that chapter, <<NAME>>= (repeatable)
    goal: ONE LINE              what the student writes (goes into the stub's comment)
    judge: TEST-FILE [REGEX]    a test file; REGEX picks the test names that judge
                                (repeatable; every judge must pass)
    body: LINE                  the chunk is one C function: keep its head, and give
                                it this body (repeatable, one line each)
    stub: LINE                  or: the chunk's whole replacement (repeatable)

The student's tree is a copy of the project whose chapter has the chunk
replaced by the stub and a comment saying what to write; it is tangled and
built there.  The student edits chapters/ in that tree, as the book's authors
do, and runs `make check-lab LAB=NAME`.  A lab whose chapter or chunk no longer
exists (renamed by a later change) is an error that says so.
"""
import os, re, shutil, subprocess, sys, time

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
LABS = os.path.join(TOP, 'tests', 'labs')
sys.path.insert(0, os.path.join(TOP, 'tests', 'mutate'))
from mutate import copy_project  # noqa: E402


class LabError(Exception):
    pass


def parse(name):
    path = os.path.join(LABS, name + '.lab')
    rel = os.path.relpath(path, TOP)
    if not os.path.exists(path):
        raise LabError('%s: no such lab (tests/labs/lab.py list names them)' % rel)
    lab = {'name': name, 'file': rel, 'chunk': [], 'judge': [], 'body': [], 'stub': []}
    for n, line in enumerate(open(path), 1):
        line = line.rstrip('\n')
        if not line.strip() or line.startswith('#'):
            continue
        m = re.match(r'^(\w+):(?: (.*))?$', line)
        if not m or m.group(1) not in ('chapter', 'chunk', 'goal', 'judge', 'body', 'stub'):
            raise LabError('%s:%d: expected KEY: VALUE with KEY one of chapter, chunk, '
                           'goal, judge, body, stub' % (rel, n))
        k, v = m.group(1), m.group(2) or ''
        if k in ('chunk', 'judge', 'body', 'stub'):
            lab[k].append(v)
        else:
            lab[k] = v
    for k in ('chapter', 'goal'):
        if k not in lab:
            raise LabError('%s: no %s: line' % (rel, k))
    if not lab['chunk'] or not lab['judge']:
        raise LabError('%s: a lab needs at least one chunk: and one judge: line' % rel)
    if bool(lab['body']) == bool(lab['stub']):
        raise LabError('%s: give either body: lines or stub: lines' % rel)
    for j in lab['judge']:
        t = j.split()[0]
        if not os.path.exists(os.path.join(TOP, t)):
            raise LabError('%s: judge %s does not exist' % (rel, t))
    return lab


def chapter_path(lab, top=TOP):
    names = sorted(n for n in os.listdir(os.path.join(top, 'chapters'))
                   if n.startswith(lab['chapter'] + '-') and n.endswith('.nw'))
    if not names:
        raise LabError('%s: no chapter chapters/%s-*.nw' % (lab['file'], lab['chapter']))
    return os.path.join('chapters', names[0])


def definitions(lines, chunk):
    """The (first, last) line indices of each body of <<chunk>>=."""
    out = []
    head = '<<%s>>=' % chunk
    i = 0
    while i < len(lines):
        if lines[i] == head:
            j = i + 1
            while j < len(lines) and not re.match(r'^@( |$)', lines[j]) \
                    and not re.match(r'^<<.*>>=$', lines[j]):
                j += 1
            out.append((i + 1, j))
            i = j
        else:
            i += 1
    return out


def blanked(lab, top=TOP):
    """The chapter's text with the lab's chunks replaced by the stub."""
    chap = chapter_path(lab, top)
    lines = open(os.path.join(top, chap)).read().split('\n')
    comment = '/* LAB %s: %s (see "Lab: %s" at the end of %s). */' % (
        lab['name'], lab['goal'], lab['name'], chap)
    for k, chunk in enumerate(lab['chunk']):
        defs = definitions(lines, chunk)
        if not defs:
            others = [n for n in sorted(os.listdir(os.path.join(top, 'chapters')))
                      if ('<<%s>>=' % chunk) in open(os.path.join(top, 'chapters', n)).read()]
            raise LabError('%s: %s has no chunk <<%s>>%s: the chunk was renamed or '
                           'moved; update the lab' % (
                               lab['file'], chap, chunk,
                               ' (it is in chapters/%s now)' % others[0] if others else ''))
        if any('<<' in l and '>>' in l for a, b in defs for l in lines[a:b]):
            raise LabError('%s: <<%s>> uses other chunks; a lab blanks only leaf chunks'
                           % (lab['file'], chunk))
        new = []
        if k == 0 and lab['body']:
            a, b = defs[0]
            body = lines[a:b]
            while body and not body[-1].strip():
                body.pop()
            if '{' not in body or body[-1] != '}' or body.count('{') != 1:
                raise LabError('%s: <<%s>> is not one C function (a head, a "{" line, a '
                               '"}" line); use stub: lines' % (lab['file'], chunk))
            new = body[:body.index('{') + 1] + ['\t' + comment] + \
                ['\t' + l for l in lab['body']] + ['}']
        elif k == 0:
            new = [comment] + lab['stub']
        else:
            new = ['/* LAB %s: and this chunk too. */' % lab['name']]
        # the first definition gets the stub, later ones (continuations) go
        for a, b in reversed(defs):
            lines[a:b] = new if (a, b) == defs[0] else []
    return chap, '\n'.join(lines)


def run(cmd, cwd, timeout=600):
    try:
        r = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout, start_new_session=True)
        return r.returncode, r.stdout.decode(errors='replace')
    except subprocess.TimeoutExpired as e:
        return 'timeout', (e.stdout or b'').decode(errors='replace')


def make_lab(lab, dst=None):
    dst = dst or os.path.join(TOP, 'build', 'labs', lab['name'])
    chap, text = blanked(lab)
    copy_project(dst)
    with open(os.path.join(dst, chap), 'w') as fh:
        fh.write(text)
    rc, out = run(['make', '--no-print-directory', '-s', 'all'], dst)
    if rc != 0:
        raise LabError('%s: the blanked tree does not build (the stub no longer fits the '
                       'code around it; update the lab):\n%s' % (lab['file'], out[-1500:]))
    return dst


def judge(lab, tree, verbose=True, stop_early=False, cache=None):
    """True when every judge passes in TREE."""
    good = True
    for j in lab['judge']:
        w = j.split(None, 1)
        test, pat = w[0], (re.compile(w[1]) if len(w) > 1 else None)
        if cache is not None and test in cache:
            rc, out = cache[test]
        else:
            rc, out = run(['bash', test], tree, timeout=300)
            if cache is not None:
                cache[test] = (rc, out)
        oks, fails = [], []
        for l in out.split('\n'):
            m = re.match(r'^(ok|FAIL) (\S+?):?(?: |$)', l)
            if m and (not pat or pat.search(m.group(2))):
                (oks if m.group(1) == 'ok' else fails).append(l)
        passed = rc == 0 and oks and not fails
        if verbose:
            why = ('timed out' if rc == 'timeout' else
                   'exit status %s' % rc if rc != 0 else
                   fails[0][:200] if fails else 'no test matched' if not oks else
                   '%d tests passed' % len(oks))
            print('  judge %s%s: %s: %s' % (test, ' (%s)' % w[1] if pat else '',
                                            'pass' if passed else 'FAIL', why), flush=True)
        good = good and bool(passed)
        if not good and stop_early:
            break
    return good


def all_labs():
    return sorted(n[:-4] for n in os.listdir(LABS) if n.endswith('.lab'))


def verify(names):
    """Print ok/FAIL lines (tests/lib.sh's format) for each lab."""
    reference = {}	# test file -> (status, output) in this tree
    for name in names:
        t0 = time.time()
        try:
            lab = parse(name)
            chap = chapter_path(lab)
            tree = make_lab(lab, os.path.join(TOP, 'build', 'labs', '.verify-' + name))
            if judge(lab, tree, verbose=False, stop_early=True):
                print('FAIL lab-%s: the blank passes its judges (they cannot tell it from '
                      'the book\'s code)' % name)
                continue
            shutil.rmtree(tree, ignore_errors=True)
            if not judge(lab, TOP, verbose=False, cache=reference):
                print('FAIL lab-%s: the book\'s code fails the judges %s' % (
                    name, '; '.join(lab['judge'])))
                continue
            if not re.search(r'^### Lab: %s\s*$' % re.escape(name),
                             open(os.path.join(TOP, chap)).read(), re.M):
                print('FAIL lab-%s: %s has no "### Lab: %s" in its Exercises' % (name, chap, name))
                continue
            print('ok lab-%s: the blank fails, the book passes (%.0f s)' % (name, time.time() - t0))
        except LabError as e:
            print('FAIL lab-%s: %s' % (name, str(e).replace('\n', '\n    | ')))
    return 0


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ('make', 'check', 'verify', 'list'):
        print(__doc__.strip().split('\n\n')[1], file=sys.stderr)
        return 2
    cmd, names = sys.argv[1], sys.argv[2:]
    try:
        if cmd == 'list':
            for n in all_labs():
                lab = parse(n)
                print('%-22s %s  %s' % (n, chapter_path(lab), lab['goal']))
            return 0
        if cmd == 'verify':
            return verify(names or all_labs())
        if len(names) != 1 or not names[0]:
            raise LabError('name one lab: LAB=NAME (make lab LAB=...; labs: %s)'
                           % ' '.join(all_labs()))
        lab = parse(names[0])
        if cmd == 'make':
            dst = make_lab(lab)
            print('lab %s: the student\'s tree is %s; write the chunk%s %s in %s there, '
                  'then run make check-lab LAB=%s' % (
                      lab['name'], os.path.relpath(dst, TOP), 's' if len(lab['chunk']) > 1 else '',
                      ', '.join('<<%s>>' % c for c in lab['chunk']), chapter_path(lab), lab['name']))
            return 0
        tree = os.path.join(TOP, 'build', 'labs', lab['name'])
        if not os.path.isdir(tree):
            raise LabError('%s: no student\'s tree; run make lab LAB=%s first'
                           % (os.path.relpath(tree, TOP), lab['name']))
        rc, out = run(['make', '--no-print-directory', '-s', 'all'], tree)
        if rc != 0:
            print(out[-3000:])
            print('lab %s: the tree does not build' % lab['name'])
            return 1
        print('lab %s: judging %s' % (lab['name'], os.path.relpath(tree, TOP)), flush=True)
        good = judge(lab, tree)
        print('lab %s: %s' % (lab['name'], 'passed' if good else 'not yet'))
        return 0 if good else 1
    except LabError as e:
        print('lab: %s' % e, file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
