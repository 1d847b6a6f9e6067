#!/bin/sh
# Registers Waflow's namespace once the Temporal server answers. A namespace that exists
# already (every start after the first) is success.
set -eu

address="${TEMPORAL_ADDRESS:?}"
namespace="${TEMPORAL_NAMESPACE:?}"

tries=0
until temporal operator cluster health --address "$address" >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "Temporal at $address is not healthy after 5 minutes" >&2
    exit 1
  fi
  sleep 5
done

exists() { temporal operator namespace describe -n "$namespace" --address "$address" >/dev/null 2>&1; }

if exists; then
  echo "namespace $namespace exists"
elif temporal operator namespace create -n "$namespace" --retention "${NAMESPACE_RETENTION:-72h}" --address "$address"; then
  echo "namespace $namespace created"
elif exists; then
  # Created meanwhile by another run.
  echo "namespace $namespace exists"
else
  exit 1
fi
