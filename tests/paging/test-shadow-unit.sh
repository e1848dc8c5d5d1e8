#!/usr/bin/env bash
# The Host's shadow paging case by case, on the host (chapter 41):
# tests/paging/shadow_unit.c, built by harness.sh with the tangled Host and
# the Switcher's fast path for a fill (S:257).  No /dev/kvm needed.
source "$(dirname "$0")/harness.sh"
harness_run shadow_unit
exit 0
