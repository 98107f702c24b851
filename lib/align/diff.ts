/**
 * Leaf-level differences between two JSON values, with readable paths. Ordered lists of equal length are compared
 * element by element; unordered lists (./order) as multisets; lists of different lengths report the elements found
 * on one side only (so one added IAM statement is one difference, not a shifted list).
 */

import { ELEMENT_NAME_FIELDS, isUnorderedList } from './order';

export type PathSegment = string | number;

export interface ValueDifference {
  readonly path: readonly PathSegment[];
  /** Value on the `from` side; undefined when absent there. */
  readonly from: unknown;
  /** Value on the `to` side; undefined when absent there. */
  readonly to: unknown;
  readonly kind: 'only-from' | 'only-to' | 'changed' | 'elements';
  /** Two asset hashes built from different sources, when that is what differs. */
  readonly assets?: readonly [string, string];
}

/** How two strings from the two sides compare (see `compareStrings` in ./identity). */
export type StringComparator = (
  from: string,
  to: string,
) =>
  | { readonly equal: true; readonly identity: boolean }
  | { readonly equal: false; readonly assets?: readonly [string, string] };

export interface Comparison {
  /** Differences that remain once identity is accounted for. */
  readonly differences: ValueDifference[];
  /** Strings (and keys) whose raw text differs only by each side's identity values. */
  readonly identity: ValueDifference[];
}

const rawStrings: StringComparator = (a, b) => (a === b ? { equal: true, identity: false } : { equal: false });

/** Which lists compare as multisets; by default the template rule of ./order. */
export type ListOrder = (path: readonly PathSegment[]) => boolean;

/**
 * Leaf-level differences between two JSON values, where strings compare with `strings` (identity-aware). Object
 * keys that differ only by identity are paired. Lists whose order means nothing (`unordered`, by default
 * {@link isUnorderedList}) pair equivalent elements wherever they are; ordered lists of different lengths pair
 * equivalent elements first too, so one added element is one difference, not a shifted list.
 */
export function compareValues(
  from: unknown,
  to: unknown,
  strings: StringComparator = rawStrings,
  path: readonly PathSegment[] = [],
  unordered: ListOrder = isUnorderedList,
): Comparison {
  const out: Comparison = { differences: [], identity: [] };
  walk(from, to, { strings, unordered }, path, out);
  return out;
}

/** Whether two values are the same once identity (and the order of unordered lists) is accounted for. */
export function equivalent(
  from: unknown,
  to: unknown,
  strings: StringComparator = rawStrings,
  path: readonly PathSegment[] = [],
  unordered: ListOrder = isUnorderedList,
): boolean {
  return compareValues(from, to, strings, path, unordered).differences.length === 0;
}

interface Context {
  readonly strings: StringComparator;
  readonly unordered: ListOrder;
}

function walk(from: unknown, to: unknown, ctx: Context, path: readonly PathSegment[], out: Comparison) {
  const { strings } = ctx;
  if (from === undefined && to === undefined) return;
  if (from === undefined) {
    out.differences.push({ path, from, to, kind: 'only-to' });
    return;
  }
  if (to === undefined) {
    out.differences.push({ path, from, to, kind: 'only-from' });
    return;
  }
  if (typeof from === 'string' && typeof to === 'string') {
    const verdict = strings(from, to);
    if (verdict.equal) {
      if (verdict.identity) out.identity.push({ path, from, to, kind: 'changed' });
    } else {
      out.differences.push({ path, from, to, kind: 'changed', ...(verdict.assets ? { assets: verdict.assets } : {}) });
    }
    return;
  }
  if (isRecord(from) && isRecord(to)) {
    const onlyFrom = Object.keys(from).filter((k) => !(k in to));
    const onlyTo = new Set(Object.keys(to).filter((k) => !(k in from)));
    for (const key of Object.keys(from)
      .filter((k) => k in to)
      .sort())
      walk(from[key], to[key], ctx, [...path, key], out);
    for (const key of onlyFrom.sort()) {
      const at = [...path, key];
      const partner = [...onlyTo].find(
        (k) => strings(key, k).equal && equivalent(from[key], to[k], strings, at, ctx.unordered),
      );
      if (partner !== undefined) {
        onlyTo.delete(partner);
        out.identity.push({ path: at, from: key, to: partner, kind: 'changed' });
        walk(from[key], to[partner], ctx, at, out);
      } else {
        walk(from[key], undefined, ctx, at, out);
      }
    }
    for (const key of [...onlyTo].sort()) walk(undefined, to[key], ctx, [...path, key], out);
    return;
  }
  if (Array.isArray(from) && Array.isArray(to)) {
    const unordered = ctx.unordered(path);
    if (from.length === to.length && !unordered) {
      from.forEach((item, i) => walk(item, to[i], ctx, [...path, i], out));
      return;
    }
    // pair each element with an equivalent one on the other side, wherever it is
    const unmatched = to.map((_, i) => i);
    const leftFrom: number[] = [];
    from.forEach((item, i) => {
      const at = unmatched.findIndex((j) => equivalent(item, to[j], strings, [...path, i], ctx.unordered));
      if (at >= 0) {
        // record the identity differences of the pair (a statement naming each side's bucket)
        if (unordered) walk(item, to[unmatched[at]], ctx, [...path, i], out);
        unmatched.splice(at, 1);
      } else leftFrom.push(i);
    });
    if (!unordered) {
      if (leftFrom.length > 0 || unmatched.length > 0)
        out.differences.push({
          path,
          from: leftFrom.map((i) => from[i]),
          to: unmatched.map((j) => to[j]),
          kind: 'elements',
        });
      return;
    }
    // an unordered list: elements left on both sides that carry the same name are one element changed
    for (const i of [...leftFrom]) {
      const j = unmatched.find((k) => sameName(from[i], to[k], strings));
      if (j === undefined) continue;
      walk(from[i], to[j], ctx, [...path, i], out);
      leftFrom.splice(leftFrom.indexOf(i), 1);
      unmatched.splice(unmatched.indexOf(j), 1);
    }
    if (leftFrom.length === 1 && unmatched.length === 1) {
      walk(from[leftFrom[0]], to[unmatched[0]], ctx, [...path, leftFrom[0]], out);
    } else if (leftFrom.length > 0 || unmatched.length > 0) {
      out.differences.push({
        path,
        from: leftFrom.map((i) => from[i]),
        to: unmatched.map((j) => to[j]),
        kind: 'elements',
      });
    }
    return;
  }
  if (!deepEqual(from, to)) out.differences.push({ path, from, to, kind: 'changed' });
}

/** Two list elements named alike by the first name field both carry (`Sid`, `Key`, `ParameterName`, ...). */
function sameName(a: unknown, b: unknown, strings: StringComparator): boolean {
  if (!isRecord(a) || !isRecord(b)) return false;
  const field = ELEMENT_NAME_FIELDS.find((f) => typeof a[f] === 'string' && typeof b[f] === 'string');
  return field !== undefined && strings(a[field] as string, b[field] as string).equal;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deterministic JSON with sorted keys, for equality and multiset comparisons. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => value[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

export function deepEqual(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

export function diffValues(from: unknown, to: unknown, path: readonly PathSegment[] = []): ValueDifference[] {
  if (from === undefined && to === undefined) return [];
  if (from === undefined) return [{ path, from, to, kind: 'only-to' }];
  if (to === undefined) return [{ path, from, to, kind: 'only-from' }];
  if (isRecord(from) && isRecord(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    return keys.flatMap((key) => diffValues(from[key], to[key], [...path, key]));
  }
  if (Array.isArray(from) && Array.isArray(to)) {
    if (from.length === to.length) {
      return from.flatMap((item, i) => diffValues(item, to[i], [...path, i]));
    }
    const onlyFrom = multisetMinus(from, to);
    const onlyTo = multisetMinus(to, from);
    return [{ path, from: onlyFrom, to: onlyTo, kind: 'elements' }];
  }
  return deepEqual(from, to) ? [] : [{ path, from, to, kind: 'changed' }];
}

/** Elements of `a` not matched by an equal element of `b` (each element of `b` matches once). */
function multisetMinus(a: readonly unknown[], b: readonly unknown[]): unknown[] {
  const remaining = new Map<string, number>();
  for (const item of b) remaining.set(canonical(item), (remaining.get(canonical(item)) ?? 0) + 1);
  const out: unknown[] = [];
  for (const item of a) {
    const key = canonical(item);
    const left = remaining.get(key) ?? 0;
    if (left > 0) remaining.set(key, left - 1);
    else out.push(item);
  }
  return out;
}

/** `Properties.LifecycleConfiguration.Rules[0].ExpirationInDays`, `States["Test: orders"].Next`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_][\w:-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

export function getPath(value: unknown, path: readonly PathSegment[]): unknown {
  let node = value;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[String(segment)];
  }
  return node;
}

/** Sets (or, with undefined, deletes) the value at a path; missing parents are created as objects. */
export function setPath(target: Record<string, unknown>, path: readonly PathSegment[], value: unknown): void {
  let node: Record<string, unknown> = target;
  for (const segment of path.slice(0, -1)) {
    const key = String(segment);
    if (node[key] === null || typeof node[key] !== 'object') node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = String(path[path.length - 1]);
  if (value === undefined) delete node[last];
  else node[last] = value;
}
