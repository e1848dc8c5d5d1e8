#!/usr/bin/env bash
# Every lab (tests/labs/*.lab) judges what it claims to: the student's tree
# with the chunk blanked fails its judges, the book's own code passes them,
# and the lab stands under "### Lab: NAME" at the end of its chapter.  A lab
# whose chunk was renamed or whose stub no longer compiles fails here, with
# the reason.  (tests/labs/lab.py verify; one line per lab.)
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0
needs_machine labs || exit 0
nice python3 tests/labs/lab.py verify
n=$(ls tests/labs/*.lab | wc -l)
letters=$(for l in tests/labs/*.lab; do sed -n 's/^chapter: *\([0-9]\).*/\1/p' "$l"; done | sort -u | tr -d '\n')
if [ "$n" -ge 12 ] && [ "$letters" = 12345 ]; then
	ok "labs-span: $n labs in chapters G, D, L, H and S"
else
	fail labs-span "$n labs, chapter digits $letters (want 12 or more over 1..5)"
fi
exit 0
