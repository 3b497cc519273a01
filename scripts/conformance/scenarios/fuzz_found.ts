/**
 * Divergences between ctkit and the Linux kernel found by the differential fuzzer
 * (`npm run conformance:fuzz`, scripts/conformance/fuzz.ts): each entry is the minimised scenario
 * of one finding (packets as hex, notes from the generator), recorded as the fixture of the same
 * name in test/fixtures/conformance/ (listed in expected-failures.json until ctkit agreed; all of
 * these agree now, each fixed by an engine change that names its finding).
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
];
