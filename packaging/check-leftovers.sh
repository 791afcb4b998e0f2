#!/usr/bin/env bash
# check-leftovers.sh TOKEN: fails when a process other than this script and its callers still
# carries FXCONFIG_RUN_TOKEN=TOKEN in its environment. .ci/run sets the token before its first
# step, so every process a step starts inherits it, also one that outlived the step and was
# re-parented away from CI's process tree; this lists them (and their command lines) and fails.
set -uo pipefail
token=${1:?usage: check-leftovers.sh TOKEN}
# This script and every ancestor of it carry the token too: they are not leftovers.
ancestors=" $$ "
pid=$$
while [ "$pid" -gt 1 ]; do
  pid=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status" 2> /dev/null) || break
  ancestors+="$pid "
done
left=()
for environ in /proc/[0-9]*/environ; do
  pid=${environ#/proc/}
  pid=${pid%/environ}
  [[ $ancestors == *" $pid "* ]] && continue
  if { tr '\0' '\n' < "$environ"; } 2> /dev/null | grep -qx "FXCONFIG_RUN_TOKEN=$token"; then
    state=$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2> /dev/null)
    [ "$state" = Z ] && continue
    left+=("$pid $({ tr '\0' ' ' < "/proc/$pid/cmdline"; } 2> /dev/null | cut -c1-160)")
  fi
done
if [ "${#left[@]}" -gt 0 ]; then
  echo "check-leftovers: ${#left[@]} processes started by this run are still running:" >&2
  printf '  %s\n' "${left[@]}" >&2
  exit 1
fi
echo "check-leftovers: no process started by this run is left"
