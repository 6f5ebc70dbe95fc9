#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# test_docs.sh - the docs name what the code has: every counter of SG_STATS in
# include/smtpguard.h is described in smtpguard(8), every subcommand of the
# command table has a section there, and both man pages render cleanly.
set -u
cd "$(dirname "$0")/../.."
n=0 bad=0
for st in $(sed -n 's/^[[:space:]]*X(\([a-z_]*\)).*/\1/p' include/smtpguard.h); do
	n=$((n + 1))
	grep -q "^\.B $st\$" man/smtpguard.8 || { echo "FAIL: docs: counter $st is not described in man/smtpguard.8"; bad=1; }
done
# an extraction that finds nothing would pass vacuously: it is a failure
[ "$n" -gt 0 ] || { echo "FAIL: docs: no counters found in include/smtpguard.h"; bad=1; }
[ "$bad" = 0 ] && echo "PASS: docs: all $n counters are described in smtpguard(8)"
bad=0 nc=0
text=$(groff -man -Tascii man/smtpguard.8 2>/dev/null | sed 's/.\x08//g')
for c in $(sed -n 's/^[[:space:]]*{ "\([a-z-]*\)", do_.*/\1/p' user/main.c); do
	nc=$((nc + 1))
	grep -q -- "smtpguard.* $c" <<<"$text" ||
		{ echo "FAIL: docs: command $c missing from smtpguard(8)"; bad=1; }
done
[ "$nc" -gt 0 ] || { echo "FAIL: docs: no commands found in user/main.c"; bad=1; }
[ "$bad" = 0 ] && echo "PASS: docs: all $nc commands are in smtpguard(8)"
if command -v groff >/dev/null; then
	for m in man/smtpguard.8 man/smtpguard.conf.5; do
		out=$(groff -man -Tutf8 -ww "$m" 2>&1 >/dev/null)
		[ -z "$out" ] && echo "PASS: docs: $m renders without warnings" ||
			echo "FAIL: docs: $m: $(echo "$out" | head -n 2 | tr '\n' ' ')"
	done
else
	echo "SKIP: docs: groff not installed"
fi
exit 0
