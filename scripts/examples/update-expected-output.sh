#!/bin/sh
# Writes examples/<name>/expected-output.txt (the `ctkit replay` trace and final table, no
# colours) for every example that matches the kernel, i.e. is not listed in
# test/examples/expected-failures.json, and removes it from the examples that are listed.
# Run after `npx tsc -p tsconfig.json` (uses dist/cli/main.js). No root needed.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
[ -f dist/cli/main.js ] || { echo "$0: build first (npx tsc -p tsconfig.json)" >&2; exit 1; }
for dir in examples/*/; do
  name=$(basename "$dir")
  [ -f "$dir/kernel.json" ] || continue
  if node -e 'process.exit(Object.hasOwn(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")), process.argv[2]) ? 0 : 1)' \
      test/examples/expected-failures.json "$name"; then
    rm -f "$dir/expected-output.txt"
    echo "$name: listed in test/examples/expected-failures.json, no expected-output.txt"
    continue
  fi
  NO_COLOR=1 node dist/cli/main.js replay "examples/$name/capture.pcapng" --host "examples/$name/host.json" \
    --iptables "examples/$name/rules.v4" --seed 1 > "$dir/expected-output.txt"
  echo "$name: $(wc -l < "$dir/expected-output.txt") lines in examples/$name/expected-output.txt"
done
