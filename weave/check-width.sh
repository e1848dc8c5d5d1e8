#!/bin/sh
# check-width.sh [COLUMNS] CHAPTER.nw...: every line of code that is wider
# than the PDF's code block (79 columns of the 8.3 pt mono font in the
# 408 pt text block, less the chunk's frame), as "file:line: message".
# Code is a chunk's body, or a fenced block in the prose (not a diagram).
# A use <<name>> counts as its text.  Exits 1 if any line is too wide.
max=79
case $1 in [0-9]*) max=$1; shift ;; esac
expand "$@" >/dev/null 2>&1 || exit 2
for f in "$@"; do
	expand "$f" | awk -v f="$f" -v max="$max" '
		/^<<.*>>=[ \t]*$/ { chunk = 1; next }
		chunk && /^@( |$)/ { chunk = 0 }
		!chunk && /^(```|~~~)/ { fence = !fence; dot = /dot/; next }
		(chunk || (fence && !dot)) && length($0) > max {
			printf "%s:%d: code line is %d columns; the printed page holds %d\n", f, NR, length($0), max
			bad = 1
		}
		END { exit bad }'
done | sort -t: -k1,1 -k2,2n | { out=$(cat); [ -z "$out" ] || { echo "$out"; exit 1; }; }
