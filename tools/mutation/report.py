"""Counts and surviving mutants of one mutmut run, and the per-module table (for tools/mutation.sh).

Run with the scratch copy as the working directory (mutmut reads its setup.cfg on import):

    python report.py collect MODULE OUTCOME SECONDS RESULTS.jsonl [FUNCTION ...]
    python report.py table RESULTS.jsonl SUMMARY.md

`collect` reads mutants/MODULE.meta (mutmut's verdict per mutant) and appends one JSON line: counts
by verdict and, for every mutant not killed, its line in the original file and the changed code.
OUTCOME is `ran`, `uncovered` (mutmut stopped because no selected test executes the mutated
code: every mutant counts as "no tests") or `failed` (mutmut itself failed; see its log).
FUNCTION limits the module to those functions (`name` or `Class.name`).

Score = (killed + timeout) / all mutants. A timeout counts as detected because the mutant made a
test hang, which a real run would notice; "suspicious" and "no tests" count as not detected.
"""

from __future__ import annotations

import ast
import difflib
import json
import sys
from collections import Counter
from functools import cache
from pathlib import Path

import libcst as cst
from mutmut.mutation.diff_apply import read_functions_from_index, read_mutant_function, read_original_function
from mutmut.mutation.trampoline_templates import CLASS_NAME_SEPARATOR
from mutmut.stats import status_by_exit_code
from mutmut.utils.format_utils import orig_function_and_class_names_from_key

COLUMNS = ("killed", "timeout", "suspicious", "survived", "no tests")
DETECTED = ("killed", "timeout", "caught by type check")


def qualified_function(mutant: str) -> str:
    """`Class.method` or `function` for a mutmut key such as `pkg.mod.xǁClassǁmethod__mutmut_3`."""
    name, class_name = orig_function_and_class_names_from_key(mutant)
    return f"{class_name}.{name}" if class_name else name


def function_lines(source: str) -> dict[str, int]:
    """Line of each function's `def` (top level and one class level), keyed like qualified_function."""
    lines: dict[str, int] = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines[node.name] = node.lineno
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines[f"{node.name}.{item.name}"] = item.lineno
    return lines


@cache
def _mutated_module(module: str) -> cst.Module:
    return cst.parse_module((Path("mutants") / module).read_text(encoding="utf-8"))


def mutation_of(mutant: str, module: str) -> tuple[int, str, str]:
    """(offset of the changed line from the `def` line, original code, mutated code)."""
    functions = read_functions_from_index(mutant, module)  # mutmut's line index: no full parse
    if functions is None:
        tree = _mutated_module(module)
        functions = (read_original_function(tree, mutant), read_mutant_function(tree, mutant))
    original, mutated = (cst.Module([f]).code.strip().splitlines() for f in functions)
    def_index = next(i for i, line in enumerate(original) if line.lstrip().startswith(("def ", "async def ")))
    matcher = difflib.SequenceMatcher(a=original, b=mutated, autojunk=False)
    _, i1, i2, j1, j2 = next(op for op in matcher.get_opcodes() if op[0] != "equal")
    before = " / ".join(line.strip() for line in original[i1:i2])
    after = " / ".join(line.strip() for line in mutated[j1:j2]) or "(line removed)"
    return i1 - def_index, before, after


def collect(module: str, outcome: str, seconds: float, results: Path, functions: list[str]) -> None:
    record: dict = {"module": module, "outcome": outcome, "seconds": round(seconds, 1), "functions": functions}
    meta = Path("mutants") / f"{module}.meta"
    if outcome == "failed" or not meta.exists():
        record["outcome"] = "failed"
    else:
        verdicts = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        if functions:
            verdicts = {k: v for k, v in verdicts.items() if qualified_function(k) in functions}
        def_lines = function_lines(Path(module).read_text(encoding="utf-8"))
        counts: Counter[str] = Counter()
        survivors = []
        for mutant, code in sorted(verdicts.items(), key=lambda item: _natural(item[0])):
            status = "no tests" if outcome == "uncovered" and code is None else status_by_exit_code[code]
            counts[status] += 1
            if status in DETECTED:
                continue
            function = qualified_function(mutant)
            try:
                offset, before, after = mutation_of(mutant, module)
                line: int | None = def_lines[function] + offset
            except Exception as error:  # a report row is better than no report
                line, before, after = None, f"(diff unavailable: {error})", ""
            short = mutant.rpartition(".")[2].replace(CLASS_NAME_SEPARATOR, ".")
            survivors.append(
                {"id": short, "status": status, "function": function, "line": line, "before": before, "after": after}
            )
        record["counts"] = dict(counts)
        record["survivors"] = survivors
    with results.open("a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")


def _natural(mutant: str) -> tuple[str, int]:
    stem, _, number = mutant.rpartition("__mutmut_")
    return stem, int(number) if number.isdigit() else 0


def score(counts: dict[str, int]) -> float | None:
    total = sum(counts.values())
    return 100.0 * sum(counts.get(s, 0) for s in DETECTED) / total if total else None


def table(results: Path, summary: Path) -> None:
    records = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines() if line.strip()]
    header = ["module", "mutants", *COLUMNS, "score %", "seconds"]
    rows = []
    for record in records:
        name = record["module"] + (" (" + ", ".join(record["functions"]) + ")" if record["functions"] else "")
        if record["outcome"] == "failed":
            rows.append([name, "mutmut failed: see its log", *[""] * (len(header) - 3), str(record["seconds"])])
            continue
        counts = record["counts"]
        value = score(counts)
        other = sum(v for k, v in counts.items() if k not in (*COLUMNS, "caught by type check"))
        cells = [str(counts.get(c, 0) + (other if c == "suspicious" else 0)) for c in COLUMNS]
        shown = "n/a" if value is None else f"{value:.1f}"
        rows.append([name, str(sum(counts.values())), *cells, shown, str(record["seconds"])])
    total_seconds = sum(r["seconds"] for r in records)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    lines.append(f"\nTotal mutmut time: {total_seconds:.0f} s. Score = (killed + timeout) / mutants.")
    text = "\n".join(lines)
    print(text)
    details = [text, ""]
    for record in records:
        details.append(f"\n## {record['module']}: not killed ({len(record.get('survivors', []))})\n")
        for s in record.get("survivors", []):
            where = f"{record['module']}:{s['line']}" if s["line"] else record["module"]
            details.append(f"- `{where}` {s['function']} [{s['status']}, {s['id']}]: `{s['before']}` -> `{s['after']}`")
    summary.write_text("\n".join(details) + "\n", encoding="utf-8")


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    if command == "collect":
        module, outcome, seconds, results, *functions = args
        collect(module, outcome, float(seconds), Path(results), functions)
    elif command == "table":
        table(Path(args[0]), Path(args[1]))
    else:
        sys.exit(f"unknown command {command!r}")
