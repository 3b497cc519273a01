# Shared by scripts/examples/record-live-*.sh (POSIX sh, sourced after `set -eu`):
#
#   . "$(dirname "$0")/lib/live_common.sh"
#   live_begin NAME "$@"
#
# live_begin takes /tmp/ctkit-record.lock for the whole run (it re-executes the script under
# flock, so the scripts must not be wrapped in flock), checks for root and sets ROOT (the
# repository), LIB (scripts/examples/lib), OUT (test/fixtures/conformance, or $LIVE_OUT), WORK
# (/tmp/ctkit-live/NAME, emptied) and the namespace prefixes ORC_PREFIX (live run, lv_*) and
# CKR_PREFIX (the recorder's replay, ckl_*).

live_begin() {
  live_name=$1
  shift
  if [ -z "${CKL_LOCKED:-}" ]; then
    CKL_LOCKED=1 exec flock /tmp/ctkit-record.lock "$0" "$@"
  fi
  ROOT=$(cd "$(dirname "$0")/../.." && pwd)
  LIB="$ROOT/scripts/examples/lib"
  OUT="${LIVE_OUT:-$ROOT/test/fixtures/conformance}"
  WORK=/tmp/ctkit-live/$live_name
  [ "$(id -u)" = 0 ] || { echo "$0: needs root" >&2; exit 1; }
  export ORC_PREFIX="${ORC_PREFIX:-lv}" CKR_PREFIX="${CKR_PREFIX:-ckl}"
  rm -rf "$WORK"
  mkdir -p "$WORK"
  chmod 755 /tmp/ctkit-live "$WORK"
}

# The nat table of a router that masquerades what leaves on r_wan (iptables-restore or
# ip6tables-restore text).
masquerade_table() {
  cat <<'RULES'
*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -o r_wan -j MASQUERADE
COMMIT
RULES
}

# vsftpd.conf for an anonymous read-only server on ADDRESS serving DIR (active from port 20,
# passive ports 30000-30009): vsftpd_conf ADDRESS DIR EMPTY_DIR BANNER
vsftpd_conf() {
  cat <<CONF
listen=YES
listen_ipv6=NO
listen_address=$1
background=NO
anonymous_enable=YES
no_anon_password=YES
anon_root=$2
local_enable=NO
write_enable=NO
port_enable=YES
connect_from_port_20=YES
pasv_enable=YES
pasv_min_port=30000
pasv_max_port=30009
secure_chroot_dir=$3
seccomp_sandbox=NO
xferlog_enable=NO
dirmessage_enable=NO
ftpd_banner=$4
CONF
}
