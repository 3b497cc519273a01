#!/usr/bin/env node
/**
 * The ctkit command line: a thin commander program. Each command lives in its own module and
 * registers itself here (registerX(program)); shared failure handling is in errors.ts.
 */

import { createRequire } from 'node:module';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { registerDump } from './dump.js';
import { registerReplay } from './replay.js';
import { registerBench } from './bench.js';
import { registerHost } from './host.js';
import { registerConntrack } from './conntrack.js';
import { registerExplain } from './explain.js';
import { registerDiff } from './diff.js';
import { EXIT_USAGE, reportError } from './errors.js';

const COMMANDS: ReadonlyArray<(program: Command) => void> = [registerDump, registerReplay, registerHost, registerConntrack, registerExplain, registerDiff, registerBench];

/** ctkit's version, from the package.json above this module (dist/cli, src/cli or a test build). */
function packageVersion(): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = require(file) as { name?: string; version?: string };
      if (pkg.name === 'ctkit' && pkg.version !== undefined) return pkg.version;
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('the package.json of ctkit was not found above the CLI module');
    dir = up;
  }
}

/** The program with every command registered; usage errors throw CommanderError (no exit). */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('ctkit')
    .description('Linux conntrack, stateful firewall and NAT, replayed offline over captures')
    .version(packageVersion(), '--version', 'output the version number') // -V belongs to `ctkit conntrack -V`
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      outputError: (text, write) => write(`ctkit: ${text.replace(/^error: /, '')}`),
    });
  for (const register of COMMANDS) register(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and --version "fail" with status 0; commander has already printed the message.
      process.exitCode = e.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    reportError(e);
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) await main(process.argv);
