#!/usr/bin/env bash
# Proves that CI leaves no process running.
#
#   leftover-processes.sh snapshot FILE       record the processes running now
#   leftover-processes.sh check FILE DIR...   fail if a process that FILE does not list
#                                             runs an executable under one of DIRs (the
#                                             build directory, the clone) or is a
#                                             redis-server or nginx (which tests start)
#
# `check` waits up to 5 s for processes that are still exiting, then names
# every leftover (PID, executable, command line), stops it (TERM, then KILL)
# and exits 1. Reads /proc (Linux); run as the same user as CI, or as root.
set -euo pipefail

# Processes the tests start from the system, matched by executable name.
SERVICES=(redis-server nginx)

# "PID STARTTIME" for every process that is not a zombie.
processes() {
  local d stat rest
  for d in /proc/[0-9]*; do
    stat=$(cat "$d/stat" 2>/dev/null) || continue
    rest=${stat##*) }
    # shellcheck disable=SC2086 # split the fields on purpose
    set -- $rest
    [ "$1" = Z ] && continue
    # Field 22 of /proc/PID/stat (the 20th after the command name) is the start time.
    echo "${d#/proc/} ${20}"
  done
}

# Leftovers: "PID EXE" for every process not in the snapshot that matches.
leftovers() { # snapshot dir...
  local snapshot=$1 pid start exe comm dir svc
  shift
  while read -r pid start; do
    grep -qx "$pid $start" "$snapshot" && continue
    [ "$pid" = "$$" ] && continue
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
    exe=${exe% (deleted)}
    # The name it was started as (Debian's redis-server is a link to redis-check-rdb).
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || continue
    for svc in "${SERVICES[@]}"; do
      if [ "$comm" = "$svc" ] || [ "${exe##*/}" = "$svc" ]; then echo "$pid $exe"; continue 2; fi
    done
    for dir in "$@"; do
      case "$exe" in "$dir"/*) echo "$pid $exe"; continue 2 ;; esac
    done
  done < <(processes)
}

case "${1:-}" in
  snapshot)
    [ $# -eq 2 ] || { echo "usage: $0 snapshot FILE" >&2; exit 2; }
    processes > "$2"
    ;;
  check)
    [ $# -ge 3 ] || { echo "usage: $0 check FILE DIR..." >&2; exit 2; }
    snapshot=$2
    shift 2
    dirs=()
    for d in "$@"; do dirs+=("$(realpath -m "$d")"); done
    found=""
    for _ in $(seq 1 10); do
      found=$(leftovers "$snapshot" "${dirs[@]}")
      [ -z "$found" ] && break
      sleep 0.5
    done
    if [ -z "$found" ]; then
      echo "ok   no process left running from ${dirs[*]}, nor a new redis-server or nginx"
      exit 0
    fi
    echo "FAIL processes left running by CI:"
    pids=()
    while read -r pid exe; do
      pids+=("$pid")
      args=$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null || true)
      echo "  pid $pid  $exe  ($args)"
    done <<< "$found"
    kill "${pids[@]}" 2>/dev/null || true
    sleep 2
    kill -9 "${pids[@]}" 2>/dev/null || true
    exit 1
    ;;
  *)
    echo "usage: $0 snapshot FILE | check FILE DIR..." >&2
    exit 2
    ;;
esac
