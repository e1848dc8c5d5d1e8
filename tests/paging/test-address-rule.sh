#!/usr/bin/env bash
# One rule for Guest addresses in three places (H:310, H:627, S:257): the
# door, shadow_fill_recent and the Switcher's fast path accept and refuse
# the same pages at every edge (tests/paging/address_rule.c, on the host).
source "$(dirname "$0")/harness.sh"
harness_run address_rule
exit 0
