#!/bin/bash
# The hypercall path by vector 0x1f (hardware KVM's), which this machine's
# KVM never delivers: the Host's trap dispatch run as a Linux program.
source "$(dirname "$0")/../lib.sh"
cd "$top" || exit 0
harness_src host-hcall-vector host/traps.c "${HOST_SRC:-}" || exit 0
files=(host/traps.c host/hypercalls.c host/memory.c host/page_tables.c host/shadow.c host/async.c
	lib/format.c lib/string.c)
build_harness host-hcall-vector boot/hypercall_vector "" -O1 -g -w -fno-builtin \
	-I"$src/include" -I"$src/host" "${files[@]/#/$src/}" || exit 0
run_harness host-hcall-vector boot/hypercall_vector 30
exit 0
