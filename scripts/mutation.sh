#!/usr/bin/env bash
# Mutation testing of the core with mutmut 3 (pip install -e '.[test]'): the scheduler, timing,
# the Bloom/dedupe filter, topic counts, the store and resume checkpoints.  Each module is mutated
# on its own, against the tests that exercise it, in a scratch copy of the work tree (mutmut writes
# a mutants/ folder and wants its settings in setup.cfg; the repository stays as it is).
#
#   scripts/mutation.sh                  every module below
#   scripts/mutation.sh scheduler store  some of them
#   MUTATION_DIR=/tmp/m JOBS=2 scripts/mutation.sh timing
#
# CPU-heavy, and not part of CI.  Measured on two cores shared with other work: timing ran 13 mutants
# a second (a minute), the store 4 (about ten minutes), the scheduler 0.4 to 0.6 (half an hour:
# its tests wait on a fake Telegram in real time).  For each module it prints mutmut's summary and
# the surviving mutants; `cd $MUTATION_DIR/<module> && mutmut show <name>` shows one.  What the last
# run found and which survivors were judged harmless is in docs/testing.md.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
out="${MUTATION_DIR:-/tmp/mutation}"
jobs="${JOBS:-$(nproc)}"
venv_bin="$(dirname "$(command -v python)")"
mutmut="${MUTMUT:-$venv_bin/mutmut}"

# module name -> "file to mutate|tests that exercise it" (narrow: every mutant runs them).
declare -A modules=(
  [scheduler]="exporter/scheduler.py|tests/exporter/test_scheduler.py tests/exporter/test_scheduler_estimates.py"
  [timing]="exporter/timing.py|tests/exporter/test_phase_clock.py"
  [accounting]="exporter/accounting.py|tests/exporter/test_phase_clock.py"
  [dedupe]="exporter/dedupe.py|tests/exporter/test_dedupe.py"
  [topics]="exporter/topics.py|tests/exporter/test_topics.py"
  [store]="db/store.py|tests/db/test_export_store.py tests/db/test_transactions.py"
  [checkpoints]="db/checkpoints.py|tests/db/test_checkpoints.py"
)
order=(scheduler dedupe topics store checkpoints timing accounting)
selected=("$@")
[ ${#selected[@]} -eq 0 ] && selected=("${order[@]}")

for name in "${selected[@]}"; do
  spec="${modules[$name]:-}"
  if [ -z "$spec" ]; then
    echo "unknown module $name; one of: ${order[*]}" >&2
    exit 2
  fi
  file="${spec%%|*}"
  tests="${spec#*|}"
  work="$out/$name"
  rm -rf "$work"
  mkdir -p "$work"
  # The work tree as it is now (uncommitted changes included), without caches and old mutants.
  tar -C "$here" --exclude=.git --exclude=mutants --exclude=__pycache__ --exclude='*.egg-info' \
    --exclude=.pytest_cache --exclude=.ruff_cache -cf - . | tar -C "$work" -xf -
  # pyproject.toml has no [tool.mutmut], so mutmut reads setup.cfg.  The packages the tests import
  # besides the mutated one are copied along unchanged.
  top="${file%%/*}"
  copy=$(for d in bot db exporter sandbox bench; do [ "$d" != "$top" ] && echo "    $d"; done)
  cat >"$work/setup.cfg" <<EOF
[mutmut]
source_paths = $top
only_mutate = $file
also_copy =
$copy
pytest_add_cli_args_test_selection =
$(for t in $tests; do echo "    $t"; done)
pytest_add_cli_args =
    -p
    no:cacheprovider
    -q
EOF
  echo "== $name: $file against $tests"
  (cd "$work" && "$mutmut" run --max-children "$jobs" >"$work/run.log" 2>&1) || {
    echo "mutmut failed for $name: see $work/run.log" >&2
    tail -20 "$work/run.log" >&2
    continue
  }
  (cd "$work" && "$mutmut" results --all true >"$work/results.txt" 2>&1 || true)
  survived=$(grep -c ': survived' "$work/results.txt" || true)
  killed=$(grep -c ': killed' "$work/results.txt" || true)
  other=$(grep -vc ': survived\|: killed' "$work/results.txt" || true)
  echo "   killed $killed, survived $survived, other $other (timeouts, no tests, suspicious)"
  grep ': survived' "$work/results.txt" | sed 's/^/   /' || true
done
