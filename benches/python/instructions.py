"""Instructions per call of the schema-only comparison, counted by callgrind.

Times move with the load of a shared VM; instruction counts do not. Each
case is run under `valgrind --tool=callgrind` with 0 and with N calls, and
(N calls - 0 calls) / N is printed. Run it like bench_validate.py, from the
repository root, in a venv with a release build and the peers installed:

    python benches/python/instructions.py [N]

Cases: `loop` (an empty lambda: the timing loop itself), `assay` (schema-only
`validate(dict)`, in place), `assay-list` (the same dict in a list: the
converted path), `assay-empty-list` (`validate([])`: the call and an empty
report), `jsonschema-rs` (`validate` with SCHEMA) and `jsonschema-rs-empty`
(`validate` with the schema `{}`: its call alone).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

CASES = ["loop", "assay", "assay-list", "assay-empty-list", "jsonschema-rs", "jsonschema-rs-empty"]


def run_case(case: str, n: int) -> None:
    import assay
    from bench_validate import FIXTURES, SCHEMA, schema_policy

    [doc] = assay.parse((FIXTURES / "ml-configmap.yaml").read_text())
    if case == "loop":
        fn = lambda: None  # noqa: E731
    elif case.startswith("assay"):
        policy = schema_policy(SCHEMA)
        arg = {"assay": doc, "assay-list": [doc], "assay-empty-list": []}[case]
        fn = lambda: policy.validate(arg)  # noqa: E731
    else:
        import jsonschema_rs

        validator = jsonschema_rs.Draft202012Validator(SCHEMA if case == "jsonschema-rs" else {})
        fn = lambda: validator.validate(doc)  # noqa: E731
    fn()  # first-call work (compiling the in-place validator, imports) stays out of the count
    for _ in range(n):
        fn()


def count(case: str, n: int) -> int:
    with tempfile.TemporaryDirectory() as out:
        result = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/cg.out",
             sys.executable, __file__, "--case", case, str(n)],
            capture_output=True, text=True, check=True)
    return int(re.search(r"Collected : (\d+)", result.stderr).group(1))


def main() -> None:
    if sys.argv[1:2] == ["--case"]:
        sys.path.insert(0, str(Path(__file__).parent))
        run_case(sys.argv[2], int(sys.argv[3]))
        return
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    for case in CASES:
        per_call = (count(case, n) - count(case, 0)) // n
        print(f"{case:<22} {per_call:>8,} instructions/call")


if __name__ == "__main__":
    main()
