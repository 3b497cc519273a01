#!/bin/bash
# Builds test/fixtures/nft/json/ from the real nft (root): every rules.nft of the conformance
# fixtures and the examples of Debian's nftables package is loaded with `nft -f` into a fresh
# network namespace and dumped with `nft -j list ruleset` (NAME.json) and `nft list ruleset`
# (NAME.nft.list); the JSON is then loaded back with `nft -j -f` into another fresh namespace and
# listed again (NAME.json.list), or the error nft gave is kept (NAME.json.err). Sources of the
# project's own (test/fixtures/nft/json-src): NAME.nft rulesets, treated the same, and NAME.json
# command files, loaded with `nft -j -f` as they are.
#   sudo scripts/nft/json-fixtures.sh            (CKR_PREFIX names the namespaces, default ckr)
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=test/fixtures/nft/json
EX=/usr/share/doc/nftables/examples
NS="${CKR_PREFIX:-ckr}_nftjson"
mkdir -p "$OUT"

fresh() {
  ip netns del "$NS" 2>/dev/null || true
  ip netns add "$NS"
  ip netns exec "$NS" ip link set lo up
  # the interfaces the rulesets name (nft resolves iif / oif / device names when it loads them)
  local k=0
  for d in r_cli r_srv r_wan eth0 eth1 eth2 eth3 bond0 bond1; do
    ip netns exec "$NS" ip link add "$d" type veth peer name "peer$k"
    k=$((k + 1))
  done
}

# one input: NAME FILE (loaded from FILE's directory, for includes)
one() {
  local name=$1 file=$2
  fresh
  if ! (cd "$(dirname "$file")" && ip netns exec "$NS" nft -f "$(basename "$file")") 2>"$OUT/$name.nft.err"; then
    echo "skip $name: nft -f failed: $(head -1 "$OUT/$name.nft.err")"
    rm -f "$OUT/$name.nft.err"
    return
  fi
  rm -f "$OUT/$name.nft.err"
  ip netns exec "$NS" nft -j list ruleset | python3 -m json.tool --indent 1 > "$OUT/$name.json"
  ip netns exec "$NS" nft list ruleset > "$OUT/$name.nft.list"
  fresh
  rm -f "$OUT/$name.json.list" "$OUT/$name.json.err"
  if ip netns exec "$NS" nft -j -f "$OUT/$name.json" 2>"$OUT/$name.json.err"; then
    rm -f "$OUT/$name.json.err"
    ip netns exec "$NS" nft list ruleset > "$OUT/$name.json.list"
  fi
  echo "ok $name"
}

for f in test/fixtures/conformance/*/rules.nft; do
  one "$(basename "$(dirname "$f")")" "$f"
done
for f in "$EX"/*.nft; do
  one "debian_$(basename "$f" .nft | tr '-' '_')" "$f"
done
for f in test/fixtures/nft/json-src/*.nft; do
  [ -e "$f" ] && one "$(basename "$f" .nft)" "$f"
done
# JSON command files: loaded as they are with `nft -j -f` (NAME.json.list, or NAME.json.err)
for f in test/fixtures/nft/json-src/*.json; do
  [ -e "$f" ] || continue
  name=$(basename "$f" .json)
  cp "$f" "$OUT/$name.json"
  fresh
  rm -f "$OUT/$name.json.list" "$OUT/$name.json.err"
  if ip netns exec "$NS" nft -j -f "$f" 2>"$OUT/$name.json.err"; then
    rm -f "$OUT/$name.json.err"
    ip netns exec "$NS" nft list ruleset > "$OUT/$name.json.list"
  fi
  echo "ok $name (command file)"
done
ip netns del "$NS" 2>/dev/null || true
