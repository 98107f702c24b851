/**
 * Reading the files a user hands to cdk-kitchens (the config, pipeline files, an SSH key) without trusting them:
 * only regular files are opened (a directory, FIFO, socket or device is refused before it is opened, so `/dev/zero`
 * or a named pipe cannot hang a synth), reads stop at a size bound, and the text must be UTF-8 without NUL bytes.
 * Refusals say why in words and never quote the file's content.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseDocument } from 'yaml';
import { ConfigError } from './errors';

/** The largest config or pipeline file read: 1 MiB, far above any real one and far below a memory problem. */
export const MAX_INPUT_FILE_BYTES = 1024 * 1024;

/**
 * The most alias expansions a YAML file may make. The yaml library's own default (100) refuses "billion laughs"
 * documents; the number is stated here so messages and tests name it.
 */
export const MAX_YAML_ALIASES = 100;

/** Why a file could not be read, in words that fit after its name: `kitchens.yaml is a directory`. */
export class InputFileError extends Error {
  constructor(public readonly reason: string) {
    super(reason);
    this.name = 'InputFileError';
  }
}

function kindOf(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

function sizeText(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}

/**
 * Reads a regular file of at most `maxBytes` bytes as UTF-8 text. Throws `InputFileError` whose reason reads after
 * the file's name ("does not exist", "is a directory, not a file", "is larger than 1 MiB", ...).
 */
export function readBoundedText(file: string, maxBytes: number = MAX_INPUT_FILE_BYTES): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new InputFileError(code === 'ENOENT' || code === 'ENOTDIR' ? 'does not exist' : `cannot be read (${code})`);
  }
  if (!stat.isFile()) {
    throw new InputFileError(`is ${kindOf(stat)}, not a regular file`);
  }
  if (stat.size > maxBytes) {
    throw new InputFileError(`is larger than ${sizeText(maxBytes)} (${sizeText(stat.size)})`);
  }
  let fd: number;
  try {
    // O_NONBLOCK: should the path become a FIFO between stat and open, opening it does not wait for a writer.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    throw new InputFileError(`cannot be read (${(e as NodeJS.ErrnoException).code})`);
  }
  try {
    if (!fs.fstatSync(fd).isFile()) {
      throw new InputFileError('is not a regular file');
    }
    // Read at most one byte past the bound, whatever the size stat reported (files in /proc report 0).
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    for (;;) {
      const n = fs.readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > maxBytes) {
        throw new InputFileError(`is larger than ${sizeText(maxBytes)}`);
      }
    }
    const bytes = buffer.subarray(0, length);
    if (bytes.includes(0)) {
      throw new InputFileError('is not a text file (it holds NUL bytes)');
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new InputFileError('is not UTF-8 text');
    }
  } catch (e) {
    if (e instanceof InputFileError) throw e;
    throw new InputFileError(`cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Whether `file` (absolute) lies inside `dir`, also after following symbolic links, so a link inside the
 * directory cannot point a config at `/etc/passwd`. A path that does not exist is judged by its text alone.
 */
export function isInside(dir: string, file: string): boolean {
  const inside = (d: string, f: string) => {
    const rel = path.relative(d, f);
    return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  };
  if (!inside(path.resolve(dir), path.resolve(file))) return false;
  try {
    return inside(fs.realpathSync(dir), fs.realpathSync(file));
  } catch {
    return true;
  }
}

/**
 * Parses YAML text of the file shown as `shown` into plain data. Syntax errors name the line and column; alias
 * bombs (more than MAX_YAML_ALIASES expansions) are refused. Messages never quote the file's content.
 */
export function parseYamlText(text: string, shown: string): unknown {
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const at = e.linePos?.[0];
        return `${shown}: invalid YAML: ${yamlReason(e.message)}${at ? ` (line ${at.line}, column ${at.col})` : ''}`;
      }),
    );
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (e) {
    if (e instanceof ReferenceError && /excessive alias/i.test(e.message)) {
      throw new ConfigError([
        `${shown}: invalid YAML: its aliases (*name) expand more than ${MAX_YAML_ALIASES} times, ` +
          'which is refused as a resource exhaustion attack; write the values out instead',
      ]);
    }
    if (e instanceof ReferenceError) {
      throw new ConfigError([`${shown}: invalid YAML: an alias (*name) refers to no anchor (&name) before it`]);
    }
    throw e;
  }
}

/** The first line of the yaml library's message, without the position (given separately) or the source excerpt. */
function yamlReason(message: string): string {
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

/** Parses JSON text of the file shown as `shown`; errors give the position only, never the text around it. */
export function parseJsonText(text: string, shown: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    const position = /position (\d+)/.exec((e as Error).message)?.[1];
    if (position === undefined) {
      // Node's message quotes the text here ("Unexpected token 'r', "root:x:0"... is not valid JSON"), so it is
      // not shown; the YAML parser (JSON is YAML) locates the error instead, when it finds one.
      if (/end of JSON/.test((e as Error).message)) return refuseJson(shown, '(it ends early)');
      const at = parseDocument(text).errors[0]?.linePos?.[0];
      return refuseJson(shown, at ? `(line ${at.line}, column ${at.col})` : '(it is not a JSON document)');
    }
    const before = text.slice(0, Number(position)).split('\n');
    return refuseJson(shown, `(line ${before.length}, column ${before[before.length - 1].length + 1})`);
  }
}

function refuseJson(shown: string, where: string): never {
  throw new ConfigError([`${shown}: invalid JSON ${where}`]);
}
