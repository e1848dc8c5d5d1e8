#!/bin/sh
# tex-width.sh LGUEST.TEX [COLUMNS]: the code lines of the woven LaTeX
# (inside lgcode) still wider than COLUMNS (default 86: the text block's 79
# and most of the margin) once lgweave has wrapped them; macros count as
# the text they show.  Prints "lguest.tex:LINE: N columns"; exits 1 if any.
awk -v max="${2:-86}" '
	/^\\begin\{lgcode\}/ { code = 1; next }
	/^\\end\{lgcode\}/ { code = 0 }
	code {
		s = $0
		gsub(/\\hyperlink\{[^}]*\}|\\lguse\{[^}]*\}|\\lgcont\{\}/, "", s)
		gsub(/\\textbackslash\{\}/, "\\", s)
		gsub(/\\texttt/, "", s)
		gsub(/\\lg[a-z]+/, "", s)
		gsub(/\\[{}]/, "x", s)
		gsub(/[{}]/, "", s)
		if (length(s) > max) { printf "%s:%d: %d columns\n", FILENAME, NR, length(s); bad = 1 }
	}
	END { exit bad }' "$1"
