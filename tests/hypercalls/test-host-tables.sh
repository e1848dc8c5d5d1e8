#!/usr/bin/env bash
# The Host's GDT, TSS and IDT (chapter 40) read back as the processor reads
# them, in a Linux program (tests/hypercalls/tables_unit.c): no KVM needed.
# Written for survivors of make mutate CHAPTER=40 that this machine's KVM
# cannot see (it delivers a ring-3 int3 whatever the gate's level).
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0
src=$(tangled_src host/segments.c) || { fail host-tables "host/segments.c is not tangled (run make tangle)"; exit 0; }
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
if ! gcc -O1 -g -w -fno-builtin -I"$src" -I"$src/include" -o "$bin/t" tests/hypercalls/tables_unit.c \
	"$src/lib/string.c" 2>"$bin/err"; then
	fail host-tables "does not compile: $(head -n 3 "$bin/err" | tr '\n' '|')"; exit 0
fi
"$bin/t" || echo "FAIL host-tables: a check failed or the program crashed"
exit 0
