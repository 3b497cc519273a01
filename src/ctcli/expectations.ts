/**
 * The expectation table of a saved table. A replay's expectations are saved as the lines
 * `conntrack -L expect` prints at the end of the capture (the table snapshot itself holds
 * connections only); this module answers the expectation commands over those lines, as the
 * kernel would over its table:
 *
 *  - -L expect / -C expect list and count them (with -f, the family);
 *  - -G expect / -D expect find one by its expected tuple (-s -d -p --sport --dport);
 *  - -F expect empties the table;
 *  - deleting a connection (-D, -F) removes the expectations it is the master of, as the kernel
 *    removes a dying master's expectations.
 */
import type { Conn } from '../conntrack/conn.js';
import { toolAddr } from '../format/ct-attrs.js';
import { parseLine, type ParsedExpect, type ParsedTuple } from '../explain/parse.js';
import { tryParseIp } from '../packet/addr.js';
import type { Template } from './model.js';

/** A saved expectation line read back (the line is what conntrack prints for it). */
function parsed(line: string): ParsedExpect {
  const e = parseLine(line, 0);
  if (e === null || e.kind !== 'expect') throw new Error(`the saved table holds an expectation line conntrack does not print: ${line}`);
  return e;
}

function familyOf(t: ParsedTuple): 4 | 6 {
  return tryParseIp(t.src)?.family ?? 4;
}

function sameAddr(text: string, words: ArrayLike<number>, family: 4 | 6): boolean {
  return text === toolAddr(family, words);
}

/** The expectation lines of a family (0: all). */
export function expectationsOf(lines: readonly string[], family: 0 | 4 | 6): string[] {
  return lines.filter((l) => family === 0 || familyOf(parsed(l).tuple) === family);
}

/** The index of the expectation whose expected tuple the template names, or -1 (nf_ct_expect_find). */
export function findExpectation(lines: readonly string[], t: Template): number {
  const o = t.orig;
  return lines.findIndex((line) => {
    const e = parsed(line);
    const tu = e.tuple;
    return (
      o.src !== undefined &&
      o.dst !== undefined &&
      sameAddr(tu.src, o.src.words, o.src.family) &&
      sameAddr(tu.dst, o.dst.words, o.dst.family) &&
      e.protonum === o.l4 &&
      (tu.sport === undefined || tu.sport === (o.sport ?? 0)) &&
      (tu.dport === undefined || tu.dport === (o.dport ?? 0))
    );
  });
}

/** Whether a connection is the master of an expectation line. */
function isMaster(c: Conn, e: ParsedExpect): boolean {
  const m = e.master;
  if (m === null) return false;
  const o = c.orig;
  return sameAddr(m.src, o.src, o.family) && sameAddr(m.dst, o.dst, o.family) && (m.sport === undefined || (m.sport === o.sport && m.dport === o.dport));
}

/** Removes, in place, the expectations whose master is one of `gone`; true when any went. */
export function dropWithMasters(lines: string[], gone: readonly Conn[]): boolean {
  const keep = lines.filter((l) => !gone.some((c) => isMaster(c, parsed(l))));
  const changed = keep.length !== lines.length;
  lines.splice(0, lines.length, ...keep);
  return changed;
}
