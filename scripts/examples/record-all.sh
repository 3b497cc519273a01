#!/bin/sh
# Re-records every bundled example (root only, about two minutes), then rewrites the
# expected-output.txt files of the examples ctkit matches (needs a build: npx tsc -p tsconfig.json).
# Each recording replaces every file of its example: new ports, sequence numbers and timings.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
for name in home-router server ftp-nat broken-firewall; do
  "$HERE/record-$name.sh"
done
"$HERE/update-expected-output.sh"
