/**
 * The YAML file named by SVCBOT_CONFIG: read it, parse it keeping line numbers (so a problem can
 * name `file:line`), forget keys without a value, and resolve relative kubeconfig paths against the
 * file's directory, like kubectl. Problems with the file itself (unreadable, not YAML, not a mapping)
 * are appended to `problems`; the settings in it are checked later, by the schema.
 */
import fs from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { Document } from 'yaml';
import { isPlainObject } from './fields.js';

export type ReadFile = (file: string) => string;
export const readUtf8: ReadFile = (file) => fs.readFileSync(file, 'utf8');

/** A parsed file, kept to find the line of a key. */
interface YamlSource {
  file: string;
  doc: Document.Parsed;
  lines: LineCounter;
}

/** The settings in `file` (empty when it has problems), and the parsed source for line numbers. */
export function readYaml(file: string, readFile: ReadFile, problems: string[]): { data: Record<string, unknown>; source?: YamlSource } {
  let text: string;
  try {
    text = readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    problems.push(`SVCBOT_CONFIG: cannot read ${file}: ${why}`);
    return { data: {} };
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0];
      const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
      // prettyErrors appends " at line L, column C:" and a code frame; the position is in `where`.
      const message = (e.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
      problems.push(`${where}: invalid YAML: ${message}`);
    }
    return { data: {} };
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (err) {
    // e.g. "Excessive alias count indicates a resource exhaustion attack"
    problems.push(`${file}: invalid YAML: ${(err as Error).message}`);
    return { data: {} };
  }
  if (data === null || data === undefined) return { data: {}, source: { file, doc, lines } };
  if (!isPlainObject(data)) {
    problems.push(`${file}: must be a mapping of settings (got ${describeType(data)})`);
    return { data: {} };
  }
  dropNulls(data);
  // Relative kubeconfig paths in the file are relative to the file, like kubectl's.
  const base = path.dirname(file);
  const resolveIn = (obj: Record<string, unknown>) => {
    if (typeof obj.kubeconfig === 'string' && obj.kubeconfig.trim() !== '' && !path.isAbsolute(obj.kubeconfig.trim())) {
      obj.kubeconfig = path.join(base, obj.kubeconfig.trim());
    }
  };
  resolveIn(data);
  if (Array.isArray(data.clusters)) for (const c of data.clusters) if (isPlainObject(c)) resolveIn(c);
  return { data, source: { file, doc, lines } };
}

/** `key:` with no value means "not set" (a commented-out template section, say): forget it. */
function dropNulls(value: unknown): void {
  if (Array.isArray(value)) for (const v of value) dropNulls(v);
  else if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (v === null) delete value[k];
      else dropNulls(v);
    }
  }
}

/** 1-based line of the deepest node along `keys` that exists in the document. */
export function lineOf(source: YamlSource, keys: readonly PropertyKey[]): number | undefined {
  let node: unknown = source.doc.contents;
  let offset: number | undefined = (node as { range?: [number] } | null)?.range?.[0];
  for (const key of keys) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      if (!pair) break;
      offset = (pair.key as { range?: [number] }).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      node = node.items[key];
      offset = (node as { range?: [number] } | undefined)?.range?.[0] ?? offset;
    } else break;
  }
  return offset === undefined ? undefined : source.lines.linePos(offset).line;
}

/** "a list", "a mapping", "a string"…: what a value is, without the value. */
export function describeType(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (v === null) return 'nothing';
  if (typeof v === 'object') return 'a mapping';
  return `a ${typeof v}`;
}
