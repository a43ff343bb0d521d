#!/usr/bin/env bash
# Named steps with wall times. Sourced by setup.sh (and so by serve.sh and test.sh):
# `begin_step NAME` closes the step before it and opens NAME; `print_step_times` (test.sh calls
# it on exit, pass or fail) prints each step's wall time, the one that failed marked.
STEP_NAMES=()
STEP_SECONDS=()
STEP_OPEN=""
STEP_START=$SECONDS
RUN_START=$SECONDS

step() { printf '\n==> %s\n' "$*"; }

close_step() {
  if [ -n "$STEP_OPEN" ]; then
    STEP_NAMES+=("$STEP_OPEN")
    STEP_SECONDS+=($((SECONDS - STEP_START)))
    STEP_OPEN=""
  fi
}

begin_step() {
  close_step
  STEP_OPEN="$1"
  STEP_START=$SECONDS
  step "$1"
}

print_step_times() {
  local status=$1 failed="" i
  [ "$status" -ne 0 ] && failed="$STEP_OPEN"
  close_step
  printf '\n==> Step times (wall clock)\n'
  printf '| %-68s | %7s |\n' "step" "seconds"
  printf '|%s|%s|\n' "$(printf -- '-%.0s' {1..70})" "$(printf -- '-%.0s' {1..8})":
  for i in "${!STEP_NAMES[@]}"; do
    local name="${STEP_NAMES[$i]}"
    [ -n "$failed" ] && [ "$name" = "$failed" ] && name="$name (FAILED)"
    printf '| %-68s | %7d |\n' "$name" "${STEP_SECONDS[$i]}"
  done
  printf '| %-68s | %7d |\n' "total ($( [ "$status" -eq 0 ] && echo passed || echo "failed, exit $status"))" $((SECONDS - RUN_START))
}
