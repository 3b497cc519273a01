/**
 * File and terminal plumbing for the CLI (the only place, with src/bench, that touches node:fs).
 *
 * `fileChunks` streams a file in 1 MiB chunks, so a capture of any size is read with bounded
 * memory; `Output` writes text to stdout with backpressure, and ends the process quietly when the
 * reader of a pipe goes away (`ctkit dump big.pcap | head`).
 */

import { createReadStream } from 'node:fs';
import { once } from 'node:events';
import { reportError } from './errors.js';

export const CHUNK_SIZE = 1 << 20;

/** The bytes of a file as a sequence of chunks. A missing file rejects with Node's ENOENT error. */
export async function* fileChunks(path: string, chunkSize = CHUNK_SIZE): AsyncGenerator<Uint8Array> {
  const stream = createReadStream(path, { highWaterMark: chunkSize });
  try {
    for await (const chunk of stream) yield chunk as Uint8Array;
  } catch (e) {
    // Some system errors (EISDIR from read) do not say which file; name it.
    if (e instanceof Error && (e as NodeJS.ErrnoException).path === undefined) (e as NodeJS.ErrnoException).path = path;
    throw e;
  }
}

/** Where a command writes its text output. */
export interface TextSink {
  write(text: string): Promise<void> | void;
}

let pipeGuardInstalled = false;

/** Exit quietly (status 0) when stdout is a pipe whose reader has closed. */
function guardBrokenPipe(): void {
  if (pipeGuardInstalled) return;
  pipeGuardInstalled = true;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    reportError(e);
    process.exit();
  });
}

/** Text output to a writable stream (stdout by default), waiting for it to drain when it is full. */
export class Output implements TextSink {
  constructor(private readonly stream: NodeJS.WritableStream = process.stdout) {
    if (stream === process.stdout) guardBrokenPipe();
  }

  async write(text: string): Promise<void> {
    if (text.length === 0) return;
    if (!this.stream.write(text)) await once(this.stream, 'drain');
  }
}
