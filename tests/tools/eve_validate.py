#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Validate eve JSON lines against Suricata's published EVE schema.

usage: eve_validate.py FILE...

Every line of every FILE must be valid UTF-8, end in a newline, parse as one
JSON object without duplicate keys, and validate against the schema at
tests/data/suricata-eve-schema.json (Suricata's, vendored; or
$SG_EVE_SCHEMA). One line is printed per problem, as FILE:LINE: what.
Exit 0 when all is well, 1 on any problem, 2 when the schema or
python3-jsonschema is missing (callers report that as a skip).
"""
import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# vendored from OISF/suricata (commit 398687d5, etc/schema.json, GPL-2.0) so
# that every clone validates, wherever it is checked out
DEFAULT_SCHEMA = os.path.join(REPO, "tests", "data", "suricata-eve-schema.json")


def load_validator():
    """The schema's validator, or exit 2 saying what is missing."""
    path = os.environ.get("SG_EVE_SCHEMA") or os.path.normpath(DEFAULT_SCHEMA)
    try:
        import jsonschema
    except ImportError:
        print("python3-jsonschema is not installed (apt-get install python3-jsonschema)")
        sys.exit(2)
    try:
        with open(path, encoding="utf-8") as f:
            schema = json.load(f)
    except (OSError, ValueError) as e:
        print(f"cannot read the EVE schema {path}: {e}")
        sys.exit(2)
    # the schema declares no $schema; then Draft 2020-12, the current one
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    cls.check_schema(schema)
    return cls(schema)


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise ValueError(f"duplicate key {dup[0]!r}")
    return dict(pairs)


def refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def line_problems(raw, validator):
    """What is wrong with one line (bytes, newline included)."""
    if not raw.endswith(b"\n"):
        yield "no newline at the end of the line"
    try:
        text = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        yield f"not valid UTF-8: {e}"
        return
    try:
        event = json.loads(text, object_pairs_hook=no_duplicates,
                           parse_constant=refuse_constant)
    except ValueError as e:
        yield f"not JSON: {e}"
        return
    if not isinstance(event, dict):
        yield "not a JSON object"
        return
    for err in sorted(validator.iter_errors(event), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in err.absolute_path) or "(top)"
        yield f"{where}: {err.message}"


def file_problems(path, validator):
    try:
        with open(path, "rb") as f:
            lines = f.readlines()
    except OSError as e:
        yield f"{path}: {e.strerror}"
        return
    for no, raw in enumerate(lines, 1):
        for problem in line_problems(raw, validator):
            yield f"{path}:{no}: {problem}"


def main(argv):
    if len(argv) < 2:
        print("usage: eve_validate.py FILE...", file=sys.stderr)
        return 1
    validator = load_validator()
    problems = 0
    lines = 0
    for path in argv[1:]:
        for problem in file_problems(path, validator):
            print(problem)
            problems += 1
    if problems:
        return 1
    for path in argv[1:]:
        with open(path, "rb") as f:
            lines += sum(1 for _ in f)
    print(f"{lines} line(s) in {len(argv) - 1} file(s) valid")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
