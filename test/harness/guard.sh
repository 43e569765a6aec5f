#!/usr/bin/env bash
# guard.sh OWNER_PID COMMAND [ARGS...]
# Runs COMMAND and ends it when the owner (the test process) is gone or when the guard is signalled,
# so a test run that crashes or is interrupted leaves no control-plane process behind.
owner=$1
shift
"$@" &
child=$!
stop() { kill -TERM "$child" 2>/dev/null; wait "$child"; exit 0; }
trap stop TERM INT HUP
while kill -0 "$child" 2>/dev/null; do
  if ! kill -0 "$owner" 2>/dev/null; then
    kill -TERM "$child" 2>/dev/null
    sleep 3
    kill -KILL "$child" 2>/dev/null
    exit 0
  fi
  sleep 1 &
  wait $!
done
wait "$child"
