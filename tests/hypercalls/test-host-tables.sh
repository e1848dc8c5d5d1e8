#!/usr/bin/env bash
# The Host's GDT, TSS and IDT (chapter 40) read back as the processor reads
# them, in a Linux program (tests/hypercalls/tables_unit.c): no KVM needed.
# Written for survivors of make mutate CHAPTER=40 that this machine's KVM
# cannot see (it delivers a ring-3 int3 whatever the gate's level).
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0
harness_src host-tables host/segments.c "${HOST_SRC:-}" || exit 0
build_harness host-tables hypercalls/tables_unit "" -O1 -g -w -fno-builtin -I"$src" -I"$src/include" \
	"$src/lib/string.c" || exit 0
run_harness host-tables hypercalls/tables_unit 30
exit 0
