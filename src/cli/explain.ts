/**
 * `ctkit explain [FILE|-]`: reads conntrack output (conntrack -L, -L -o extended, -E, -L expect,
 * /proc/net/nf_conntrack, /proc/net/nf_conntrack_expect, pasted as it is) or a table saved by
 * `ctkit replay --save-table`, and says for each entry what it is, in plain words
 * (src/explain does the work). Without FILE, or with "-", reads standard input.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { SNAPSHOT_FORMAT } from '../conntrack/snapshot.js';
import { renderExplanations } from '../explain/explain.js';
import { ExplainParseError, parseText, type ParsedEntry } from '../explain/parse.js';
import { entriesFromSnapshot } from '../explain/snapshot.js';
import { savedExpectations } from '../ctcli/saved.js';
import { CliError, runAction } from './errors.js';
import { Output } from './io.js';

export function registerExplain(program: Command): void {
  program
    .command('explain')
    .description('say in plain words what conntrack entries, events and expectations mean (conntrack -L / -E / /proc lines, or a saved table)')
    .argument('[file]', 'conntrack output or a table saved by ctkit replay --save-table; "-" or nothing for standard input')
    .action(runAction(async (file: string | undefined) => {
      const name = file === undefined || file === '-' ? 'standard input' : file;
      const text = file === undefined || file === '-' ? await readStdin() : readFileSync(file, 'utf8');
      await new Output().write(renderExplanations(entriesOf(text, name)));
    }));
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A saved table when the text is one, else conntrack lines. */
export function entriesOf(text: string, name: string): ParsedEntry[] {
  const snapshot = asSnapshot(text);
  if (snapshot !== null) return entriesFromSnapshot(snapshot);
  try {
    return parseText(text);
  } catch (e) {
    if (e instanceof ExplainParseError) throw new CliError(`${name}: ${e.message}`);
    throw e;
  }
}

function asSnapshot(text: string): unknown {
  if (!text.trimStart().startsWith('{')) return null;
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    throw new CliError('the input starts with "{" but is not JSON (expected a table saved by ctkit replay --save-table, or conntrack lines)');
  }
  if ((data as { format?: unknown }).format !== SNAPSHOT_FORMAT) throw new CliError(`the JSON input is not a saved conntrack table (expected format "${SNAPSHOT_FORMAT}")`);
  if (savedExpectations(data) === null) throw new CliError('the saved table\'s "expect" is not a list of conntrack -L expect lines');
  return data;
}
