#!/usr/bin/env bash
# Runs the Dockerfile's build stage commands outside Docker (no engine here) and
# checks the result the way the runtime stage uses it: a static binary that starts.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# Each RUN line of the build stage, in order, with /out replaced by a temp folder.
build_cmds=$(awk '/^FROM .* AS build/{b=1;next} /^FROM /{b=0} b && /^RUN /{sub(/^RUN /,""); print}' Dockerfile)
if [ -z "$build_cmds" ]; then
  echo "no RUN lines found in the Dockerfile's build stage" >&2
  exit 1
fi
while IFS= read -r cmd; do
  cmd=${cmd//\/out/$out}
  echo "+ $cmd"
  bash -c "$cmd"
done <<<"$build_cmds"
test -x "$out/suarawarga"
if file "$out/suarawarga" 2>/dev/null | grep -q 'dynamically linked'; then
  echo "the binary is dynamically linked; the runtime image has no libc" >&2
  exit 1
fi
"$out/suarawarga" help | head -n 1
grep -q '^suarawarga:x:10001:10001:' "$out/passwd"
test -d "$out/data"
echo "docker build steps: ok"
