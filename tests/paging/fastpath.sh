#!/usr/bin/env bash
# fastpath.sh SWITCHER.S OUT.S: the Switcher's fast path for a fill (S:257),
# from lg_pf_entry to its jump to the common trap path, as a function the
# host can run: %cr2 is read from harness_cr2, and the way out to the common
# path goes to harness_declined (tests/paging/fastpath_glue.S).  Says why
# and exits 1 when the tangled Switcher no longer has that shape.
in=$1 out=$2
body=$(sed -n '/^lg_pf_entry:/,/jmp lg_trap_common/p' "$in")
if [ -z "$body" ]; then
	echo "$in: no lg_pf_entry ... jmp lg_trap_common: the fast path moved (update tests/paging/fastpath.sh)"
	exit 1
fi
cr2=$(grep -c 'mov %cr2, %rax' <<<"$body")
if [ "$cr2" -lt 1 ] || grep -q '%cr[0-9]' <<<"$(grep -v 'mov %cr2, %rax' <<<"$body")"; then
	echo "$in: the fast path reads a control register other than by 'mov %cr2, %rax' (update tests/paging/fastpath.sh)"
	exit 1
fi
{
	grep '^#include' "$in"
	echo '	.text'
	echo '	.globl harness_pf_entry'
	sed -e 's/^lg_pf_entry:/harness_pf_entry:/' \
	    -e 's/mov %cr2, %rax/mov harness_cr2(%rip), %rax/' \
	    -e 's/jmp lg_trap_common/jmp harness_declined/' <<<"$body"
	echo '	.section .note.GNU-stack,"",@progbits'
} >"$out"
