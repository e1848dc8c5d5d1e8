#!/usr/bin/env bash
# make fuzz: runs each fuzz target (or those named) for FUZZ_SECONDS seconds
# (default 60), one after the other, on one core: libFuzzer's fork mode with
# one job, which keeps going after a finding.  The working corpus is
# build/fuzz/corpus/TARGET (new inputs go there), seeded from the committed
# tests/fuzz/corpus/TARGET; findings go to build/fuzz/findings/TARGET/ and the
# whole log to build/fuzz/TARGET.fuzz.log.  One progress line as each target
# starts, one summary line as it ends: executions, corpus size, findings
# (crashes, timeouts and out-of-memory, counted per occurrence), then each
# distinct cause found.
cd "$(dirname "$0")/../.." || exit 2
secs=${FUZZ_SECONDS:-60}
top=build/fuzz
out=${FUZZ_OUT:-$top}
# FUZZ_SKIP_KNOWN=1: the bugs issue 10 lists are not reported again (the
# harnesses' checks for them are off, and so is UBSan's alignment check, whose
# one finding is the misaligned indirect table), so a long run finds new ones.
# Those binaries are built apart, in build/fuzz/skip-known.
if [ "${FUZZ_SKIP_KNOWN:-0}" != 0 ]; then
	export FUZZ_SKIP_KNOWN=1 FUZZ_CFLAGS="${FUZZ_CFLAGS:-} -fno-sanitize=alignment"
	out=$top/skip-known
	echo "make fuzz: FUZZ_SKIP_KNOWN=1: issue 10's known bugs are not reported"
fi
if ! command -v "${FUZZ_CC:-clang}" >/dev/null; then
	echo "make fuzz: clang is not installed; run make deps (clang, libclang-rt-14-dev)"; exit 1
fi
FUZZ_OUT=$out tests/fuzz/build.sh "$@" || exit 1
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(vq mmio image switch hostcmdline hostelf tarfs net tangle)
total_findings=0
for t in "${targets[@]}"; do
	work=$top/corpus/$t findings=$top/findings/$t log=$top/$t.fuzz.log
	mkdir -p "$work" "$findings"
	before=$(mktemp)
	ls "$findings" >"$before"
	echo "fuzz $t: ${secs} s on one core ($(ls tests/fuzz/corpus/$t | wc -l) seeds, $(ls "$work" | wc -l) inputs kept; log $log)"
	"$out/$t" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
		-max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=1024 \
		-artifact_prefix="$findings/" "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1
	last=$(grep -E '^#[0-9]+: ' "$log" | tail -1)
	execs=$(sed -nE 's/^#([0-9]+): .*/\1/p' <<<"$last")
	corp=$(sed -nE 's/.* corp: ([0-9]+) .*/\1/p' <<<"$last")
	# Findings: the new artifacts (libFuzzer's last stats line may predate them).
	new=$(ls "$findings" | grep -vxF -f "$before")
	crash=$(grep -cE '^(crash|leak)-' <<<"$new") tmo=$(grep -c '^timeout-' <<<"$new")
	oom=$(grep -c '^oom-' <<<"$new")
	execs=${execs:-0}
	total_findings=$((total_findings + oom + tmo + crash))
	echo "fuzz $t: $execs executions ($((execs / (secs > 0 ? secs : 1)))/s), corpus $corp," \
	     "findings: $crash crashes, $tmo timeouts, $oom out-of-memory (distinct inputs)"
	# The distinct causes: each new finding (the first 30) run again alone,
	# its cause (a sanitizer's report, a harness's "fuzz" line, a hang) and
	# the first frame in our code; counted per cause.
	grep . <<<"$new" | head -30 | while read -r f; do
		FUZZ_VERBOSE= timeout 30 "$out/$t" -timeout=3 -runs=1 "$findings/$f" 2>&1 |
		awk -v f="$f" '
			!cause && /runtime error: |ERROR: AddressSanitizer: |ERROR: libFuzzer: (timeout|out-of-memory)|^fuzz[a-z-]*: / {
				cause = $0; sub(/^.*(runtime error: |ERROR: )/, "", cause) }
			!where && / in [A-Za-z_0-9]+ .*(build\/src|tangle|tests\/fuzz)\// {
				where = $0; sub(/^.* in /, "", where) }
			END { if (!cause) cause = "no failure on replay"
			      gsub(/0x[0-9a-f]+/, "0x...", cause); sub(/:[0-9]+$/, "", where)
			      print cause (where ? "  [" where "]" : "") }'
	done | sort | uniq -c | sort -rn | sed 's/^/    /'
	rm -f "$before"
done
echo "make fuzz: ${#targets[@]} targets, $total_findings findings (artifacts under $top/findings/)"
