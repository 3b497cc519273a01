/**
 * `ctkit host import --addr ip-addr.json [--route F ...] [--route6 F ...] [--rule F ...]
 *  [--rule6 F ...] [--sysctl sysctl.txt] [-o host.json]`: turn a real box's `ip -j addr`,
 * `ip -j route show table all`, `ip -j rule` and `sysctl -a` output into a HOST.json for replay.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { hostFromIpSnapshot } from '../host/import.js';
import { HostConfigError } from '../host/config.js';
import { registerKnownError, runAction } from './errors.js';

registerKnownError(HostConfigError);

interface ImportOptions {
  addr: string;
  route: string[];
  route6: string[];
  rule: string[];
  rule6: string[];
  sysctl?: string;
  output?: string;
}

const collect = (v: string, acc: string[]): string[] => [...acc, v];

export function registerHost(program: Command): void {
  const host = program.command('host').description('work with HOST.json files');
  host
    .command('import')
    .description('build HOST.json from `ip -j addr`, `ip -j route show table all`, `ip -j rule` and `sysctl -a` output')
    .requiredOption('--addr <file>', '`ip -j addr` output')
    .option('--route <file>', '`ip -j route show table all` output (repeatable)', collect, [])
    .option('--route6 <file>', '`ip -6 -j route show table all` output (repeatable)', collect, [])
    .option('--rule <file>', '`ip -j rule` output (repeatable)', collect, [])
    .option('--rule6 <file>', '`ip -6 -j rule` output (repeatable)', collect, [])
    .option('--sysctl <file>', '`sysctl -a` output')
    .option('-o, --output <file>', 'write HOST.json here instead of stdout')
    .action(runAction((o: ImportOptions) => {
      const read = (f: string): string => readFileSync(f, 'utf8');
      const r = hostFromIpSnapshot({
        addr: read(o.addr),
        routes: [...o.route.map((f) => ({ text: read(f), family: 4 as const, file: f })), ...o.route6.map((f) => ({ text: read(f), family: 6 as const, file: f }))],
        rules: [...o.rule.map((f) => ({ text: read(f), family: 4 as const, file: f })), ...o.rule6.map((f) => ({ text: read(f), family: 6 as const, file: f }))],
        sysctl: o.sysctl !== undefined ? read(o.sysctl) : undefined,
        files: { addr: o.addr, sysctl: o.sysctl },
      });
      const text = `${JSON.stringify(r.host, null, 2)}\n`;
      if (o.output) writeFileSync(o.output, text);
      else process.stdout.write(text);
      if (r.skipped.length) process.stderr.write(`ctkit: ${r.skipped.length} sysctls that ctkit does not model were left out (e.g. ${r.skipped.slice(0, 3).join(', ')})\n`);
    }));
}
