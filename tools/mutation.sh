#!/usr/bin/env bash
# Mutation testing of the plugin's pure core with mutmut (issue 12). Not run in CI: it takes minutes.
#
#   bash tools/mutation.sh                               # every module in tools/mutation/map/*.map
#   bash tools/mutation.sh models/rerank/parse.py ...    # only these
#
# Prints one row per module: mutants, killed, timeout, suspicious, survived, no tests (no selected
# test executes the mutated function), score % = (killed + timeout) / mutants, seconds. The table and
# every mutant not killed (file:line, original -> mutated code) go to $MUTATION_OUT/summary.md,
# mutmut's own output to $MUTATION_OUT/logs/.
#
# Environment: MUTATION_JOBS   mutants tested in parallel (default 2, the machine's core count)
#              MUTATION_OUT    report folder (default bench/results/mutation, git-ignored)
#              MUTATION_KEEP=1 keep the scratch copy, to inspect a mutant there with
#                              `cd <scratch> && <repo>/.venv/bin/mutmut show <id>` (path printed at the end)
#              MUTATION_ISOLATION=forkserver  fork mutants from a clean helper process instead of
#                              mutmut's main one (default fork; both gave identical verdicts here)
#
# Why mutmut 3: it rewrites a copy of the code with every mutant behind a switch, imports it once, runs
# the selected tests once to learn which test executes which function, then forks one child per mutant
# that runs only those tests (5-30 mutants/s here; ~1/s where tests encode images). cosmic-ray starts a fresh pytest per mutant
# (~2.5 s each, ~40x slower) and edits the source file in place. Forking after dify_plugin's
# gevent.monkey.patch_all works: the same verdicts as mutmut's fork-server mode, and spot checks with a
# plain pytest run on the applied mutant agree.
#
# The working tree is never touched: tracked files plus untracked, non-ignored ones (so new test files
# count) are copied to a scratch directory, where mutmut writes its mutants/ copy; the scratch copy is
# removed on exit, also after a crash or Ctrl-C.
#
# Test selection (MAP, one file per area in tools/mutation/map/*.map): module | test files | functions to mutate.
#   Test files are globs under tests/unit/, each matched as tests/unit/test_<glob>.py: the module's
#   own name (test_stream*.py for stream.py) plus its area (llm, provider, rerank, embed, vision/images).
#   A new unit test file named test_<module or area>...py is picked up without editing this script.
#   Only unit tests: never tests/e2e (they start plugin processes and take minutes). Within the
#   selection, mutmut runs for each mutant only the tests that executed the mutated function.
#   A module no selected test executes still gets its mutants counted, all as "no tests" (score 0).
#   Functions: `*` = the whole module; otherwise the listed functions only (`name` or `Class.name`).
#   mutmut mutates code inside functions and methods only: not module constants or tables (test
#   those directly), nor functions with a decorator other than @classmethod/@staticmethod.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"

MAP="$(cat tools/mutation/map/*.map | grep -v '^#')"

JOBS="${MUTATION_JOBS:-2}"
OUT="${MUTATION_OUT:-$ROOT/bench/results/mutation}"
[[ "$OUT" = /* ]] || OUT="$ROOT/$OUT"

field() { # field MODULE N: column N (1-3) of MAP's row for MODULE, trimmed
  awk -F'|' -v m="$1" -v n="$2" '{gsub(/^[ \t]+|[ \t]+$/, "", $1)} $1 == m {gsub(/^[ \t]+|[ \t]+$/, "", $n); print $n}' <<<"$MAP"
}

if [ "$#" -gt 0 ]; then
  modules=("$@")
else
  mapfile -t modules < <(awk -F'|' 'NF == 3 {gsub(/[ \t]/, "", $1); print $1}' <<<"$MAP")
fi
for module in "${modules[@]}"; do
  if [ -z "$(field "$module" 1)" ]; then
    echo "unknown module '$module'; known: $(awk -F'|' 'NF == 3 {gsub(/[ \t]/, "", $1); printf "%s ", $1}' <<<"$MAP")" >&2
    exit 2
  fi
done

bash tools/setup.sh # the dev dependency group brings mutmut
MUTMUT="$ROOT/.venv/bin/mutmut"
PYTHON="$ROOT/.venv/bin/python"

SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/atlascloud-mutation.XXXXXX")"
cleanup() {
  if [ "${MUTATION_KEEP:-0}" = 1 ]; then echo "scratch copy kept: $SCRATCH"; else rm -rf "$SCRATCH"; fi
}
trap cleanup EXIT
git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' path; do [ -f "$path" ] && printf '%s\0' "$path"; done |
  tar --null -T - -cf - | tar -xf - -C "$SCRATCH"

mkdir -p "$OUT/logs"
RESULTS="$OUT/results.jsonl"
: >"$RESULTS"
started=$SECONDS
for module in "${modules[@]}"; do
  tests=()
  read -ra globs <<<"$(field "$module" 2)" # split on spaces only: a glob like runtime* must not match a folder here
  for glob in "${globs[@]}"; do
    # From the scratch copy: a test file written in the working tree during a run is not in it.
    for file in "$SCRATCH"/tests/unit/test_$glob.py; do [ -f "$file" ] && tests+=("${file#"$SCRATCH"/}"); done
  done
  mapfile -t tests < <(printf '%s\n' "${tests[@]}" | awk 'NF && !seen[$0]++')
  functions=$(field "$module" 3)
  [ "$functions" = "*" ] && functions=""
  log="$OUT/logs/${module//\//.}.log"
  echo "== $module: ${#tests[@]} test file(s) ${tests[*]:-(none)}${functions:+; functions: $functions}"

  (
    cd "$SCRATCH"
    rm -rf mutants
    # No mapped test file: a test that executes nothing still lets mutmut generate and count the mutants.
    if [ "${#tests[@]}" -eq 0 ]; then
      printf 'def test_nothing_mapped():\n    pass\n' >tests/unit/test_mutation_nothing_mapped.py
      tests=(tests/unit/test_mutation_nothing_mapped.py)
    fi
    {
      echo "[mutmut]"
      printf 'source_paths =\n    models\n    provider\n    runtime\n'
      printf 'also_copy =\n    testkit\n    tools\n    main.py\n'
      echo "only_mutate = $module"
      echo "pytest_add_cli_args_test_selection ="
      printf '    %s\n' "${tests[@]}"
      printf 'pytest_add_cli_args =\n    -p\n    no:cacheprovider\n'
      echo "process_isolation = ${MUTATION_ISOLATION:-fork}"
      echo "use_git_change_detection = false"
    } >setup.cfg
    patterns=()
    dotted="${module%.py}"
    dotted="${dotted//\//.}"
    for function in $functions; do
      if [[ "$function" == *.* ]]; then
        patterns+=("$dotted.xǁ${function%%.*}ǁ${function#*.}__mutmut_*")
      else
        patterns+=("$dotted.x_${function}__mutmut_*")
      fi
    done
    began=$SECONDS
    outcome=ran
    if ! "$MUTMUT" run --max-children "$JOBS" "${patterns[@]}" >"$log" 2>&1; then
      if grep -q "could not find any test case for any mutant" "$log"; then outcome=uncovered; else outcome=failed; fi
    fi
    # shellcheck disable=SC2086 # function names are single words
    "$PYTHON" "$ROOT/tools/mutation/report.py" collect "$module" "$outcome" $((SECONDS - began)) "$RESULTS" $functions
    rm -f tests/unit/test_mutation_nothing_mapped.py
  )
done

echo
(cd "$SCRATCH" && "$PYTHON" "$ROOT/tools/mutation/report.py" table "$RESULTS" "$OUT/summary.md")
echo "Wall time: $((SECONDS - started)) s with $JOBS parallel mutants. Details: $OUT/summary.md"
