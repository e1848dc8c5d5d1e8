#!/bin/sh
# pdf.sh DIR: DIR/lguest.tex -> DIR/lguest.pdf: xelatex until the page
# numbers settle, then xdvipdfmx once (weave/README.md, "Cost").
#
# Each xelatex run typesets the whole book, and takes its page numbers from
# the .aux of the run before; a run is the last when the .aux it writes
# equals the one it read.  From clean that is three runs: the first has no
# page numbers, and the second's lines move where real numbers replace "??".
set -e
dir=$1
cd "$dir"
runs=0
[ -f lguest.aux ] || : >lguest.aux
while [ $runs -lt 4 ]; do
	cp lguest.aux lguest.aux.old
	rm -f lguest.xdv
	xelatex -no-pdf -interaction=nonstopmode lguest.tex >/dev/null 2>&1 || :
	runs=$((runs + 1))
	if [ ! -s lguest.xdv ]; then
		grep -A3 '^!' lguest.log | head -20
		echo "weave: xelatex failed, see $dir/lguest.log"
		exit 1
	fi
	# \@abspage@last, the page count, changes with the index's length and
	# is read by nothing of ours: it alone is no reason for another run.
	grep -v '^.gdef .@abspage@last' lguest.aux >lguest.aux.new || :
	grep -v '^.gdef .@abspage@last' lguest.aux.old | cmp -s - lguest.aux.new && break
done
xdvipdfmx -q lguest.xdv >/dev/null 2>&1 || { echo "weave: xdvipdfmx failed"; exit 1; }
echo "weave: xelatex ran $runs times"
if grep -q '^!' lguest.log; then
	grep -A3 '^!' lguest.log | head -20
	echo "weave: warning: LaTeX errors, see $dir/lguest.log"
fi
