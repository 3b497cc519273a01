/**
 * Divergences between ctkit and the Linux kernel found by the differential fuzzer
 * (`npm run conformance:fuzz`, scripts/conformance/fuzz.ts): each entry is the minimised scenario
 * of one finding (packets as hex, notes from the generator), recorded as the fixture of the same
 * name in test/fixtures/conformance/ and listed in expected-failures.json until ctkit agrees.
 * Generated: the fuzzer rewrites the block of an entry by its `// @fuzz NAME` marker.
 */

import type { ScenarioSpec } from '../lib/scenario.js';

export const scenarios: ScenarioSpec[] = [
  // @fuzz r_fuzz_20002_1
  // signature: udp c request (trunc) | out count kernel 0 ctkit 1
  // first divergence: #0 out: kernel sent 0 packet(s) [], ctkit 1 ["r_wan"]
  {
    "name": "r_fuzz_20002_1",
    "description": "fuzz finding (seed 20002, minimised from 10 packets): #0 out: kernel sent 0 packet(s) [], ctkit 1 [\"r_wan\"]",
    "tags": [
      "dnat",
      "flow-lan-wan",
      "flow-wan-in",
      "forward-open",
      "fuzz",
      "input-reject",
      "masquerade",
      "nft-iptables-mixed",
      "notrack",
      "redirect",
      "sysctls",
      "tcp-unanswered",
      "udp-trunc"
    ],
    "iptables": "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A PREROUTING -p udp -m udp --dport 5353 -j NOTRACK\nCOMMIT\n",
    "nft": "table ip fz {\n  chain filter_input {\n    type filter hook input priority 0; policy accept;\n    counter reject with icmp type admin-prohibited\n  }\n}\n",
    "sysctls": {},
    "steps": [
      {
        "iface": "r_wan",
        "packet": "4500001afe28000040117e31c0000277cb0071016d5e13c400d5",
        "note": "u1 udp c request (trunc)"
      }
    ]
  },
  // @fuzz r_fuzz_20010_1
  // signature: junk icmp of an unknown type | out count kernel 0 ctkit 1
  // first divergence: #0 out: kernel sent 0 packet(s) [], ctkit 1 ["r_wan"]
  {
    "name": "r_fuzz_20010_1",
    "description": "fuzz finding (seed 20010, minimised from 15 packets): #0 out: kernel sent 0 packet(s) [], ctkit 1 [\"r_wan\"]",
    "tags": [
      "dnat",
      "flow-junk",
      "flow-lan-wan",
      "flow-to-router",
      "forward-stateful",
      "fuzz",
      "junk-icmp-unknown",
      "nft",
      "snat",
      "sysctls",
      "tcp-close-fin-server-first",
      "tcp-sack",
      "tcp-spurious-retrans",
      "tcp-wscale"
    ],
    "nft": "table ip fz {\n  chain filter_forward {\n    type filter hook forward priority 0; policy accept;\n    counter reject\n  }\n}\n",
    "sysctls": {},
    "steps": [
      {
        "iface": "r_wan",
        "packet": "45000028b40f000040018f1bc633649b0a0002dcc803b3fdaea9ac17667a312d6162636465666768",
        "note": "j1 junk icmp of an unknown type"
      }
    ],
    "nondeterministic": {
      "ignore_destroy_events": true
    }
  },
  // @fuzz r_fuzz_20012_1
  // signature: junk ip options | out bytes ip-options
  // first divergence: #0 out[0] r_srv byte 10 differs: kernel ..00003f119ad6c63364c70a00.. ctkit ..00003f119fe2c63364c70a00.. (kernel 4800003c965900003f119ad6c63364c70a000270070b080a0002010000000000c8980035001c208b667a352d
  {
    "name": "r_fuzz_20012_1",
    "description": "fuzz finding (seed 20012, minimised from 2 packets): #0 out[0] r_srv byte 10 differs: kernel ..00003f119ad6c63364c70a00.. ctkit ..00003f119fe2c63364c70a00.. (kernel 4800003c965900003f119ad6c63364c70a000270070b080a0002010000000000c8980035001c208b667a352d61626364...)",
    "tags": [
      "dnat",
      "flow-junk",
      "flow-lan-wan",
      "forward-observe",
      "fuzz",
      "junk-ip-options",
      "masquerade",
      "redirect",
      "sysctls"
    ],
    "iptables": "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n",
    "sysctls": {},
    "steps": [
      {
        "iface": "r_wan",
        "packet": "4800003c9659000040119ee2c63364c70a000270070b04000000000000000000c8980035001c208b667a352d6162636465666768696a6b6c6d6e6f70",
        "note": "j2 junk ip options"
      }
    ]
  },
  // @fuzz r_fuzz_20015_1
  // signature: junk ip options | out length
  // first divergence: #0 out[0] length: kernel 100 bytes, ctkit 88 bytes (kernel 48c000647c9900004001e4a6cb007101c0000214070b0ccb007101cb007101000303f50400000000..., ctkit 45c000580000000040017bcfcb007101c00002140303fb4000
  {
    "name": "r_fuzz_20015_1",
    "description": "fuzz finding (seed 20015, minimised from 19 packets): #0 out[0] length: kernel 100 bytes, ctkit 88 bytes (kernel 48c000647c9900004001e4a6cb007101c0000214070b0ccb007101cb007101000303f50400000000..., ctkit 45c000580000000040017bcfcb007101c00002140303fb40000000004800003c15af0000401158e1...)",
    "tags": [
      "dnat",
      "flow-junk",
      "flow-lan-dmz",
      "flow-lan-wan",
      "flow-local",
      "flow-wan-in",
      "forward-stateful",
      "fuzz",
      "input-stateful",
      "junk-ip-options",
      "junk-ttl1",
      "local-out",
      "snat",
      "sysctls",
      "tcp-unanswered"
    ],
    "iptables": "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n",
    "sysctls": {},
    "steps": [
      {
        "iface": "r_wan",
        "packet": "4800003c15af0000401158e1c0000214cb007101070b0400000000000000000085db0035001c9c9c667a352d6162636465666768696a6b6c6d6e6f70",
        "note": "j1 junk ip options"
      }
    ],
    "nondeterministic": {
      "ignore_destroy_events": true
    }
  },
  // @fuzz r_fuzz_20062_1
  // signature: error | replay threw: Invalid typed array length: -#
  // first divergence: replay threw: Invalid typed array length: -976
  {
    "name": "r_fuzz_20062_1",
    "description": "fuzz finding (seed 20062, minimised from 11 packets): replay threw: Invalid typed array length: -976",
    "tags": [
      "flow-junk",
      "flow-lan-wan",
      "flow-local",
      "forward-stateful",
      "frag-reversed",
      "fuzz",
      "junk-frag",
      "junk-ip-trailer",
      "local-out",
      "pause",
      "snat",
      "tcp-dup",
      "tcp-lost-before",
      "tcp-sack",
      "tcp-unanswered",
      "udp-stream"
    ],
    "iptables": "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n",
    "sysctls": {},
    "steps": [
      {
        "iface": "r_cli",
        "packet": "45000081dd410080401154270a0001f2cb0071916d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d61",
        "note": "j5 junk fragment 1/3 (reversed)"
      },
      {
        "iface": "r_cli",
        "packet": "45000214dd412040401132d40a0001f2cb00719175767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c",
        "note": "j5 junk fragment 2/3 (reversed)"
      },
      {
        "iface": "r_cli",
        "packet": "45000214dd412000401133140a0001f2cb007191e8451194046d179d667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a392d6162636465666768696a6b6c6d6e6f7071727374",
        "note": "j5 junk fragment 3/3 (reversed)"
      },
      {
        "local": "450000307f51400040065455cb007101c63364ec8344005061c9d017000000007002ffff66880000020405b401010402",
        "note": "t3 tcp c syn"
      }
    ]
  },
  // @fuzz r_fuzz_20118_1
  // signature: udp c request | events kernel {[UPDATE] udp [UNREPLIED] mark=} ctkit {~}
  // first divergence: #1 events: missing ["[UPDATE] udp 17 30 src=10.0.1.179 dst=10.0.2.154 sport=49525 dport=123 [UNREPLIED] src=10.0.2.154 dst=10.0.1.179 sport=123 dport=49525 mark=32"]
  {
    "name": "r_fuzz_20118_1",
    "description": "fuzz finding (seed 20118, minimised from 11 packets): #1 events: missing [\"[UPDATE] udp 17 30 src=10.0.1.179 dst=10.0.2.154 sport=49525 dport=123 [UNREPLIED] src=10.0.2.154 dst=10.0.1.179 sport=123 dport=49525 mark=32\"]",
    "tags": [
      "dnat",
      "flow-lan-dmz",
      "flow-lan-wan",
      "flow-wan-in",
      "forward-observe",
      "fuzz",
      "icmp-error",
      "marks",
      "sysctls",
      "tcp-lost-after"
    ],
    "iptables": "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -j CONNMARK --save-mark\n-A FORWARD -p udp -j CONNMARK --set-mark 0x20\nCOMMIT\n",
    "sysctls": {},
    "steps": [
      {
        "iface": "r_cli",
        "packet": "450000fbbc3c00004011a5690a0001b30a00029ac175007b00e7110571302d667a302d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a302d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a302d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a302d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a302d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a302d6162636465666768696a6b6c6d6e6f70",
        "note": "u3 udp c request"
      },
      {
        "iface": "r_cli",
        "packet": "45000134957300004011cbf90a0001b30a00029ac175007b0120d94871312d667a312d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a312d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a312d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a312d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a312d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a312d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a312d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536",
        "note": "u3 udp c request"
      }
    ],
    "nondeterministic": {
      "ignore_destroy_events": true
    }
  },
  // @fuzz r_fuzz_20122_1
  // signature: udp c request (trunc) | out count kernel 0 ctkit 1
  // first divergence: #0 out: kernel sent 0 packet(s) [], ctkit 1 ["r_srv"]
  {
    "name": "r_fuzz_20122_1",
    "description": "fuzz finding (seed 20122, minimised from 13 packets): #0 out: kernel sent 0 packet(s) [], ctkit 1 [\"r_srv\"]",
    "tags": [
      "dnat",
      "flow-dmz-wan",
      "flow-local",
      "flow-to-router",
      "forward-stateful",
      "fuzz",
      "local-out",
      "masquerade",
      "pause",
      "udp-badlen",
      "udp-badsum",
      "udp-stream",
      "udp-trunc"
    ],
    "iptables": "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -j REJECT\nCOMMIT\n",
    "sysctls": {},
    "steps": [
      {
        "iface": "r_srv",
        "packet": "4500001ad862000040116af30a0002e2c633646894e808430121",
        "note": "u2 udp c request (trunc)"
      }
    ]
  },
  // @fuzz r_fuzz_30048_1
  // signature: udp s second reply | events kernel {[UPDATE] udp [UNREPLIED] mark=} ctkit {~}
  // first divergence: #1 events: missing ["[UPDATE] udp 17 30 src=192.0.2.38 dst=10.0.1.127 sport=5060 dport=49441 [UNREPLIED] src=10.0.1.127 dst=192.0.2.38 sport=49441 dport=5060 mark=32"]
  {
    "name": "r_fuzz_30048_1",
    "description": "fuzz finding (seed 30048, minimised from 28 packets): #1 events: missing [\"[UPDATE] udp 17 30 src=192.0.2.38 dst=10.0.1.127 sport=5060 dport=49441 [UNREPLIED] src=10.0.1.127 dst=192.0.2.38 sport=49441 dport=5060 mark=32\"]",
    "tags": [
      "flow-dmz-wan",
      "flow-lan-wan",
      "forward-observe",
      "fuzz",
      "icmp-error",
      "marks",
      "notrack",
      "pause",
      "sysctls",
      "tcp-close-open",
      "tcp-close-rst",
      "tcp-lost-after",
      "tcp-lost-before",
      "tcp-old-data",
      "tcp-sack",
      "tcp-syn-newisn",
      "tcp-wscale",
      "udp-nosum",
      "udp-trunc"
    ],
    "iptables": "*mangle\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A PREROUTING -j CONNMARK --save-mark\n-A FORWARD -p udp -j CONNMARK --set-mark 0x20\nCOMMIT\n",
    "sysctls": {},
    "steps": [
      {
        "iface": "r_wan",
        "packet": "4500008f0c6d00004011a04cc00002260a00017f13c4c121007be8a461312d667a35302d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a35302d6162636465666768696a6b6c6d6e6f707172737475767778797a30313233343536373839667a35302d6162636465666768696a6b6c6d6e6f70717273747576777879",
        "note": "u6 udp s reply"
      },
      {
        "iface": "r_wan",
        "packet": "4500001e88430000401124e7c00002260a00017f13c4c121000afb1d6231",
        "note": "u6 udp s second reply"
      }
    ],
    "nondeterministic": {
      "ignore_destroy_events": true
    }
  },
  // @fuzz r_fuzz_70032_1
  // signature: tcp c syn | rules kernel [ip fz mangle_prerouting #, ip fz mangle_prerouting policy, ip fz helpers #, ip fz helpers policy, ip fz nat_prerouting #, ip fz filter_forward #, ip fz nat_postrouting policy] ctkit [ip fz helpers #, ip fz helpers policy, ip fz mangle_prerouting #, ip fz mangle_prerouting policy, ip fz nat_prerouting #, ip fz filter_forward #, ip fz nat_postrouting policy]
  // first divergence: #0 rules: kernel ["ip fz mangle_prerouting 1", "ip fz mangle_prerouting policy", "ip fz helpers 1", "ip fz helpers policy", "ip fz nat_prerouting 1", "ip fz filter_forward 1", "ip fz nat_postrouting p
  {
    "name": "r_fuzz_70032_1",
    "description": "fuzz finding (seed 70032, minimised from 32 packets): #0 rules: kernel [\"ip fz mangle_prerouting 1\", \"ip fz mangle_prerouting policy\", \"ip fz helpers 1\", \"ip fz helpers policy\", \"ip fz nat_prerouting 1\", \"ip fz filter_forward 1\", \"ip fz nat_postrouting policy\"], ctkit [\"ip fz helpers 1\", \"ip fz helpers policy\", \"ip fz mangle_prerouting 1\", \"ip fz mangl",
    "tags": [
      "dnat",
      "flow-dmz-wan",
      "flow-wan-in",
      "forward-observe",
      "ftp",
      "ftp-pasv",
      "fuzz",
      "helper-ftp",
      "icmp-error-garbled",
      "input-reject",
      "marks",
      "masquerade",
      "nft",
      "tcp-close-half",
      "tcp-lost-before",
      "tcp-unanswered",
      "tcp-wscale"
    ],
    "nft": "table ip fz {\n  ct helper fz-ftp {\n    type \"ftp\" protocol tcp;\n  }\n\n  chain helpers {\n    type filter hook prerouting priority -150; policy accept;\n    tcp dport 21 counter ct helper set \"fz-ftp\"\n  }\n\n  chain mangle_prerouting {\n    type filter hook prerouting priority -150; policy accept;\n    counter ct mark set meta mark\n  }\n\n  chain nat_prerouting {\n    type nat hook prerouting priority -100; policy accept;\n    iifname \"r_wan\" ip daddr 203.0.113.1 tcp dport 21 counter dnat to 10.0.2.172:21\n  }\n\n  chain nat_postrouting {\n    type nat hook postrouting priority 100; policy accept;\n    oifname \"r_wan\" counter masquerade\n  }\n\n  chain filter_forward {\n    type filter hook forward priority 0; policy accept;\n    ct state new counter accept\n  }\n}\n",
    "sysctls": {},
    "steps": [
      {
        "iface": "r_wan",
        "packet": "4500003070f940004006cb6fc000025dcb007101b1dc00156e22849b00000000700272106e000000020405b401010402",
        "note": "f1 tcp c syn"
      }
    ]
  },
  // @fuzz r_fuzz_70056_1
  // signature: junk tcp fragment #/# (tiny) | out bytes ip-frag
  // first divergence: #30 out[0] r_wan byte 6 differs: kernel ..001ca4b860003f062ecd0a00.. ctkit ..001ca4b820003f066ecd0a00.. (kernel 4500001ca4b860003f062ecd0a000187cb0071cf74750016413f07bf...)
  {
    "name": "r_fuzz_70056_1",
    "description": "fuzz finding (seed 70056, minimised from 40 packets): #30 out[0] r_wan byte 6 differs: kernel ..001ca4b860003f062ecd0a00.. ctkit ..001ca4b820003f066ecd0a00.. (kernel 4500001ca4b860003f062ecd0a000187cb0071cf74750016413f07bf...)",
    "tags": [
      "dnat",
      "flow-junk",
      "flow-lan-dmz",
      "flow-lan-wan",
      "flow-local",
      "flow-wan-in",
      "forward-observe",
      "frag-tcp-tiny",
      "fuzz",
      "icmp-echo",
      "icmp-echo-ttl1",
      "junk-tcp-frag",
      "local-out",
      "masquerade",
      "match-addrtype-local",
      "match-limit",
      "match-pkttype",
      "redirect",
      "sysctls",
      "tcp-lost-before",
      "tcp-wscale"
    ],
    "iptables": "*nat\n:PREROUTING ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o r_wan -j MASQUERADE\n-A PREROUTING -d 203.0.113.1 -i r_wan -p udp -m udp --dport 5353 -j DNAT --to-destination 10.0.2.211:5353\n-A PREROUTING -i r_cli -p udp -m udp --dport 3128 -j REDIRECT --to-ports 3129\nCOMMIT\n*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -m conntrack --ctstate UNTRACKED -j ACCEPT\n-A FORWARD -m conntrack --ctstate INVALID -m limit --limit 50/sec --limit-burst 3 -j ACCEPT\n-A FORWARD -m conntrack --ctstate NEW -j ACCEPT\n-A FORWARD -m conntrack --ctstate RELATED -m pkttype --pkt-type broadcast -j ACCEPT\n-A FORWARD -m conntrack --ctstate ESTABLISHED -m addrtype --dst-type LOCAL -j ACCEPT\nCOMMIT\n",
    "sysctls": {
      "net.netfilter.nf_conntrack_tcp_loose": 0,
      "net.netfilter.nf_conntrack_tcp_ignore_invalid_rst": 1
    },
    "steps": [
      {
        "local": "4500003c1c8f40004006a55bcb007101cb0071cfd18e0019e12bedd200000000a002ffff08ee0000020405b40101080a273a01660000000001030302",
        "note": "t2 tcp c syn retransmission"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8600040062dcd0a000187cb0071cf74750016413f07bf",
        "note": "j5 junk tcp fragment 1/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "4500003c6f1f00004001c3190a0001d1cb0071b7080036a569e40002667a322d6162636465666768696a6b6c6d6e6f707172737475767778797a3031",
        "note": "e1 icmp c echo request"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8600140062dcc0a000187cb0071cf3015ef1e5010faf0",
        "note": "j5 junk tcp fragment 2/27 (tiny)"
      },
      {
        "iface": "r_wan",
        "packet": "450000248355000040017ecacb0071b7cb007101000038ab69e40002667a322d61626364",
        "note": "e1 icmp s echo reply"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8600240062dcb0a000187cb0071cf44750000667a3131",
        "note": "j5 junk tcp fragment 3/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8600340062dca0a000187cb0071cf2d61626364656667",
        "note": "j5 junk tcp fragment 4/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8600440062dc90a000187cb0071cf68696a6b6c6d6e6f",
        "note": "j5 junk tcp fragment 5/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8600540062dc80a000187cb0071cf7071727374757677",
        "note": "j5 junk tcp fragment 6/27 (tiny)"
      },
      {
        "local": "450000341c9040004006a562cb007101cb0071cfd18e0019e12bedd366cf66fe8010ffffc0d500000101080a273a016d39f66c03",
        "note": "t2 tcp c handshake ack"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8600640062dc70a000187cb0071cf78797a3031323334",
        "note": "j5 junk tcp fragment 7/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8600740062dc60a000187cb0071cf3536373839667a31",
        "note": "j5 junk tcp fragment 8/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8600840062dc50a000187cb0071cf312d616263646566",
        "note": "j5 junk tcp fragment 9/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8600940062dc40a000187cb0071cf6768696a6b6c6d6e",
        "note": "j5 junk tcp fragment 10/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8600a40062dc30a000187cb0071cf6f70717273747576",
        "note": "j5 junk tcp fragment 11/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8600b40062dc20a000187cb0071cf7778797a30313233",
        "note": "j5 junk tcp fragment 12/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8600c40062dc10a000187cb0071cf343536373839667a",
        "note": "j5 junk tcp fragment 13/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8600d40062dc00a000187cb0071cf31312d6162636465",
        "note": "j5 junk tcp fragment 14/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8600e40062dbf0a000187cb0071cf666768696a6b6c6d",
        "note": "j5 junk tcp fragment 15/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8600f40062dbe0a000187cb0071cf6e6f707172737475",
        "note": "j5 junk tcp fragment 16/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8601040062dbd0a000187cb0071cf767778797a303132",
        "note": "j5 junk tcp fragment 17/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8601140062dbc0a000187cb0071cf3334353637383966",
        "note": "j5 junk tcp fragment 18/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8601240062dbb0a000187cb0071cf7a31312d61626364",
        "note": "j5 junk tcp fragment 19/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8601340062dba0a000187cb0071cf65666768696a6b6c",
        "note": "j5 junk tcp fragment 20/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8601440062db90a000187cb0071cf6d6e6f7071727374",
        "note": "j5 junk tcp fragment 21/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8601540062db80a000187cb0071cf75767778797a3031",
        "note": "j5 junk tcp fragment 22/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8601640062db70a000187cb0071cf3233343536373839",
        "note": "j5 junk tcp fragment 23/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8601740062db60a000187cb0071cf667a31312d616263",
        "note": "j5 junk tcp fragment 24/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8601840062db50a000187cb0071cf6465666768696a6b",
        "note": "j5 junk tcp fragment 25/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "4500001ca4b8601940062db40a000187cb0071cf6c6d6e6f70717273",
        "note": "j5 junk tcp fragment 26/27 (tiny)"
      },
      {
        "iface": "r_cli",
        "packet": "45000016a4b8401a40064db90a000187cb0071cf7475",
        "note": "j5 junk tcp fragment 27/27 (tiny)"
      }
    ]
  },
  // @fuzz r_fuzz_70063_1
  // signature: tcp s syn-ack | out count kernel 1 ctkit 0
  // first divergence: #1 out: kernel sent 1 packet(s) ["r_srv"], ctkit 0 []
  {
    "name": "r_fuzz_70063_1",
    "description": "fuzz finding (seed 70063, minimised from 26 packets): #1 out: kernel sent 1 packet(s) [\"r_srv\"], ctkit 0 []",
    "tags": [
      "dnat",
      "flow-wan-in",
      "forward-stateful",
      "ftp",
      "ftp-epsv",
      "fuzz",
      "helper-ftp",
      "helper-tftp",
      "icmp-error",
      "input-stateful",
      "masquerade",
      "match-addrtype-local",
      "match-connlimit",
      "match-ctstatus",
      "match-dports",
      "match-limit",
      "match-pkttype",
      "match-ttl-gt",
      "tcp-wscale",
      "tftp"
    ],
    "iptables": "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -m connlimit --connlimit-above 1 --connlimit-mask 32 --connlimit-saddr -j ACCEPT\n-A FORWARD -i r_wan -p tcp -m multiport --dports 21,53,8206 -j ACCEPT\n-A FORWARD -p tcp -m limit --limit 5/sec --limit-burst 3 -j REJECT --reject-with tcp-reset\nCOMMIT\n",
    "sysctls": {},
    "steps": [
      {
        "iface": "r_wan",
        "packet": "4500003ce051400040061113cb00718e0a0002c9c7820015f542efea00000000a002ffff753d0000020405b40101080a35bca9ef0000000001030302",
        "note": "f1 tcp c syn"
      },
      {
        "iface": "r_srv",
        "packet": "4500003c1e4440004006d3200a0002c9cb00718e0015c7829a48062ef542efeba0127210ebbd0000020405b40101080a0190755235bca9ef01030307",
        "note": "f1 tcp s syn-ack"
      }
    ]
  },
  // @fuzz r_fuzz_70110_1
  // signature: junk tcp fragment #/# (tiny) | out bytes icmp-inner-ip
  // first divergence: #18 out[0] r_wan byte 34 differs: kernel ..00a92d9840003f06d5e5c633.. ctkit ..00a92d9800003f0615e6c633.. (kernel 45c000c51fbd00004001f292cb007101c63364f30303356a00000000450000a92d9840003f06d5e5c63364f
  {
    "name": "r_fuzz_70110_1",
    "description": "fuzz finding (seed 70110, minimised from 28 packets): #18 out[0] r_wan byte 34 differs: kernel ..00a92d9840003f06d5e5c633.. ctkit ..00a92d9800003f0615e6c633.. (kernel 45c000c51fbd00004001f292cb007101c63364f30303356a00000000450000a92d9840003f06d5e5c63364f30a0002ab...)",
    "tags": [
      "dnat",
      "flow-junk",
      "flow-lan-wan",
      "flow-wan-in",
      "forward-stateful",
      "frag-tcp-tiny",
      "fuzz",
      "input-reject",
      "junk-ip-badsum",
      "junk-tcp-frag",
      "junk-tcp-trunc",
      "match-addrtype-local",
      "match-connlimit",
      "match-length",
      "match-src-range",
      "match-ttl-gt",
      "snat",
      "sysctls",
      "tcp-lost-before",
      "tcp-sack",
      "user-chain"
    ],
    "iptables": "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n:FZ_LAN - [0:0]\n-A FORWARD -j REJECT --reject-with icmp-port-unreachable\nCOMMIT\n",
    "sysctls": {},
    "steps": [
      {
        "iface": "r_wan",
        "packet": "4500001c2d9860004006b572c63364f30a0002abc00c0050f306de44",
        "note": "j2 junk tcp fragment 1/19 (tiny)"
      },
      {
        "iface": "r_wan",
        "packet": "4500001c2d9860014006b571c63364f30a0002ab002a77e75002faf0",
        "note": "j2 junk tcp fragment 2/19 (tiny)"
      },
      {
        "iface": "r_wan",
        "packet": "4500001c2d9860024006b570c63364f30a0002ab52370000667a3131",
        "note": "j2 junk tcp fragment 3/19 (tiny)"
      },
      {
        "iface": "r_wan",
        "packet": "4500001c2d9860034006b56fc63364f30a0002ab2d61626364656667",
        "note": "j2 junk tcp fragment 4/19 (tiny)"
      },
      {
        "iface": "r_wan",
        "packet": "4500001c2d9860044006b56ec63364f30a0002ab68696a6b6c6d6e6f",
        "note": "j2 junk tcp fragment 5/19 (tiny)"
      },
      {
        "iface": "r_wan",
        "packet": "4500001c2d9860054006b56dc63364f30a0002ab7071727374757677",
        "note": "j2 junk tcp fragment 6/19 (tiny)"
      },
      {
        "iface": "r_wan",
        "packet": "4500001c2d9860064006b56cc63364f30a0002ab78797a3031323334",
        "note": "j2 junk tcp fragment 7/19 (tiny)"
      },
      {
        "iface": "r_wan",
        "packet": "4500001c2d9860074006b56bc63364f30a0002ab3536373839667a31",
        "note": "j2 junk tcp fragment 8/19 (tiny)"
      },
      {
        "iface": "r_wan",
        "packet": "4500001c2d9860084006b56ac63364f30a0002ab312d616263646566",
        "note": "j2 junk tcp fragment 9/19 (tiny)"
      },
      {
        "iface": "r_wan",
        "packet": "4500001c2d9860094006b569c63364f30a0002ab6768696a6b6c6d6e",
        "note": "j2 junk tcp fragment 10/19 (tiny)"
      },
      {
        "iface": "r_wan",
        "packet": "4500001c2d98600a4006b568c63364f30a0002ab6f70717273747576",
        "note": "j2 junk tcp fragment 11/19 (tiny)"
      },
      {
        "iface": "r_wan",
        "packet": "4500001c2d98600b4006b567c63364f30a0002ab7778797a30313233",
        "note": "j2 junk tcp fragment 12/19 (tiny)"
      },
      {
        "iface": "r_wan",
        "packet": "4500001c2d98600c4006b566c63364f30a0002ab343536373839667a",
        "note": "j2 junk tcp fragment 13/19 (tiny)"
      },
      {
        "iface": "r_wan",
        "packet": "4500001c2d98600d4006b565c63364f30a0002ab31312d6162636465",
        "note": "j2 junk tcp fragment 14/19 (tiny)"
      },
      {
        "iface": "r_wan",
        "packet": "4500001c2d98600e4006b564c63364f30a0002ab666768696a6b6c6d",
        "note": "j2 junk tcp fragment 15/19 (tiny)"
      },
      {
        "iface": "r_wan",
        "packet": "4500001c2d98600f4006b563c63364f30a0002ab6e6f707172737475",
        "note": "j2 junk tcp fragment 16/19 (tiny)"
      },
      {
        "iface": "r_wan",
        "packet": "4500001c2d9860104006b562c63364f30a0002ab767778797a303132",
        "note": "j2 junk tcp fragment 17/19 (tiny)"
      },
      {
        "iface": "r_wan",
        "packet": "4500001c2d9860114006b561c63364f30a0002ab3334353637383966",
        "note": "j2 junk tcp fragment 18/19 (tiny)"
      },
      {
        "iface": "r_wan",
        "packet": "450000192d9840124006d563c63364f30a0002ab7a31312d61",
        "note": "j2 junk tcp fragment 19/19 (tiny)"
      }
    ],
    "nondeterministic": {
      "ignore_destroy_events": true
    }
  },
];
