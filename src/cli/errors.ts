/**
 * One way for every ctkit command to fail: wrap the command's action with `runAction`, and
 *  - a known, typed error (a bad capture, a missing file, a usage mistake, or any error class a
 *    command registered with `registerKnownError`) prints exactly one line `ctkit: <message>` on
 *    stderr and exits with status 2;
 *  - anything else is a bug in ctkit: one line `ctkit: internal error: <message>` and status 70
 *    (EX_SOFTWARE). Never a stack trace, unless CTKIT_DEBUG is set in the environment.
 */

import { CaptureError } from '../capture/errors.js';

export const EXIT_USAGE = 2;
export const EXIT_INTERNAL = 70;

/** An error the user can act on (bad argument, unreadable input); its message is the whole story. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

type ErrorClass = abstract new (...args: never[]) => Error;

const known: ErrorClass[] = [CliError, CaptureError];

/** Lets a command declare its own typed errors as user-facing (one line, status 2). */
export function registerKnownError(cls: ErrorClass): void {
  if (!known.includes(cls)) known.push(cls);
}

const FS_ERRORS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EMFILE: 'too many open files',
  ELOOP: 'too many symbolic links',
  ENAMETOOLONG: 'file name too long',
};

interface SystemError extends Error {
  code: string;
  path?: string;
  syscall?: string;
}

function isSystemError(e: unknown): e is SystemError {
  return e instanceof Error && typeof (e as Partial<SystemError>).code === 'string' && (e as SystemError).code in FS_ERRORS;
}

/** The one-line message for an error and the exit status it calls for. */
export function describeError(e: unknown): { message: string; status: number } {
  if (known.some((cls) => e instanceof cls)) return { message: (e as Error).message, status: EXIT_USAGE };
  if (isSystemError(e)) {
    const what = e.path !== undefined ? `${e.path}: ` : '';
    return { message: `${what}${FS_ERRORS[e.code]}`, status: EXIT_USAGE };
  }
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return { message: `internal error: ${text}`, status: EXIT_INTERNAL };
}

/** Prints the error as one line and sets the exit status (the process ends once output is flushed). */
export function reportError(e: unknown): void {
  const { message, status } = describeError(e);
  process.stderr.write(`ctkit: ${firstLine(message)}\n`);
  if (process.env['CTKIT_DEBUG'] && e instanceof Error && e.stack) process.stderr.write(`${e.stack}\n`);
  process.exitCode = status;
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}

/** Wraps a commander action so that every failure goes through reportError. */
export function runAction<A extends unknown[]>(fn: (...args: A) => Promise<void> | void): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (e) {
      reportError(e);
    }
  };
}
