#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Runs every test suite and ends with "N passed, N failed, N skipped".
# Each suite prints one line per check: "PASS: ...", "FAIL: ...", "SKIP: ...".
# A suite that exits non-zero without printing a FAIL counts as one failure,
# so a crash never passes silently. SG_TEST_FILTER=regex runs matching suites.
set -u
cd "$(dirname "$0")/.."

out=.output/tests
log=$(mktemp)
trap 'rm -f "$log"' EXIT
passed=0 failed=0 skipped=0

suites=()
for t in "$out"/unit/test_* "$out"/bpf/test_* tests/cli/test_*.sh tests/replay/test_*.sh \
	 tests/lab/test_*.sh; do
	[ -x "$t" ] || continue
	[ -n "${SG_TEST_FILTER:-}" ] && ! [[ $t =~ $SG_TEST_FILTER ]] && continue
	suites+=("$t")
done

for t in "${suites[@]}"; do
	echo "== $t"
	start=$(date +%s)
	# every suite is bounded: a wedged one fails instead of hanging CI
	timeout --kill-after=10 900 "$t" >"$log" 2>&1
	rc=$?
	grep -E '^(FAIL|SKIP):' "$log"
	p=$(grep -c '^PASS:' "$log") f=$(grep -c '^FAIL:' "$log") s=$(grep -c '^SKIP:' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $t exited with status $rc"
		tail -n 20 "$log" | sed 's/^/  | /'
		f=1
	fi
	echo "   $p passed, $f failed, $s skipped ($(( $(date +%s) - start ))s)"
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
