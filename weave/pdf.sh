#!/bin/sh
# pdf.sh DIR: DIR/lguest.tex -> DIR/lguest.pdf: xelatex until the page
# numbers settle, then xdvipdfmx once (weave/README.md, "Cost").
#
# Each xelatex run typesets the whole book, and takes its page numbers from
# the .aux of the run before; a run is the last when the .aux it writes
# equals the one it read.  From clean that is three runs: the first has no
# page numbers, and the second's lines move where real numbers replace the
# first's guesses.  So from clean the first two are drafts (\lgdraft, see
# weave/preamble.tex): they set each code line as an empty box of its size
# and skip the index's lists, which moves no page break, at about two
# thirds of a full run's cost; the third, full run must then write the
# same .aux as the second draft, and ends the loop.
set -e
dir=$1
cd "$dir"
runs=0
drafts=0
[ -f lguest.aux ] || { : >lguest.aux; drafts=2; }
while [ $runs -lt 5 ]; do
	cp lguest.aux lguest.aux.old
	rm -f lguest.xdv
	if [ $runs -lt $drafts ]; then
		xelatex -no-pdf -interaction=nonstopmode -jobname=lguest '\def\lgdraft{}\input{lguest.tex}' >/dev/null 2>&1 || :
	else
		xelatex -no-pdf -interaction=nonstopmode lguest.tex >/dev/null 2>&1 || :
	fi
	runs=$((runs + 1))
	if [ ! -s lguest.xdv ]; then
		grep -A3 '^!' lguest.log | head -20
		echo "weave: xelatex failed, see $dir/lguest.log"
		exit 1
	fi
	[ $runs -gt $drafts ] || continue
	# \@abspage@last, the page count, changes with the index's length and
	# is read by nothing of ours: it alone is no reason for another run.
	grep -v '^.gdef .@abspage@last' lguest.aux >lguest.aux.new || :
	grep -v '^.gdef .@abspage@last' lguest.aux.old | cmp -s - lguest.aux.new && break
done
xdvipdfmx -q lguest.xdv >/dev/null 2>&1 || { echo "weave: xdvipdfmx failed"; exit 1; }
if [ $drafts -gt 0 ]; then
	echo "weave: xelatex ran $runs times ($drafts drafts)"
else
	echo "weave: xelatex ran $runs times"
fi
if grep -q '^!' lguest.log; then
	grep -A3 '^!' lguest.log | head -20
	echo "weave: warning: LaTeX errors, see $dir/lguest.log"
fi
