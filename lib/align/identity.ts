/**
 * Identity by structure: two strings from two environments are the same value when they are equal, or when every
 * place they differ holds each side's own identity value of the same kind (its environment name, account, region,
 * stage, Slack channel, CIDR block, ...) at the same position. A value equal on both sides is never rewritten, so
 * a shared image in the production account's registry, an image tag that looks like a network prefix, or an
 * environment named `test` next to a test called "test" cannot create or hide a difference.
 */

/** One side's identity values, by kind. The same kind on the other side holds that environment's values. */
export interface SideIdentity {
  /** Kind -> values, e.g. `env: ['dev']`, `account: ['222222222222']`, `slack: ['C07DEV', 'C07KITCHENS']`. */
  readonly values: Readonly<Record<string, readonly string[]>>;
  /** The environment's VPC block (`10.20.0.0/16`): an address inside it pairs with the same offset on the other side. */
  readonly cidr?: string;
  /** Asset hash -> a fingerprint of the asset's source (same fingerprint = same source). */
  readonly assets?: ReadonlyMap<string, string>;
}

interface Token {
  readonly text: string;
  /** The identity kinds the text is a value of on its side (`production` can be both `env` and `stage`). */
  readonly kinds: readonly string[];
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/;
const ASSET_HASH = /^[a-f0-9]{64}$/;

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const tokenizers = new WeakMap<SideIdentity, WeakMap<SideIdentity, RegExp>>();

/**
 * A pattern that finds the identity values of both sides (longest first) and IPv4 addresses as whole tokens, so a
 * text splits the same way on either side: `us-east-1` is one token in both environments even when only one of
 * them lives there.
 */
function pattern(from: SideIdentity, to: SideIdentity): RegExp {
  const cached = tokenizers.get(from)?.get(to);
  if (cached) return cached;
  const values = [...new Set([...Object.values(from.values).flat(), ...Object.values(to.values).flat()])]
    .filter((v) => v.length > 0)
    .sort((a, b) => b.length - a.length)
    .map(escape);
  const ip = '\\d{1,3}(?:\\.\\d{1,3}){3}(?:/\\d{1,2})?';
  // an address is a whole dotted token (not the tail of a version such as 1.10.20.0.0); an identity value may follow
  // a dot, as in `logs.eu-west-1.amazonaws.com`, `com.amazonaws.eu-west-1.s3` or `acme.dev.internal`
  const identity = values.length > 0 ? `|(?<![A-Za-z0-9])(?:${values.join('|')})(?![A-Za-z0-9])` : '';
  const compiled = new RegExp(`(?<![A-Za-z0-9.])(?:${ip})(?![A-Za-z0-9])${identity}|[A-Za-z0-9]+|[^A-Za-z0-9]`, 'g');
  const inner = tokenizers.get(from) ?? new WeakMap<SideIdentity, RegExp>();
  inner.set(to, compiled);
  tokenizers.set(from, inner);
  return compiled;
}

function kindsOf(side: SideIdentity, text: string): string[] {
  if (IPV4.test(text)) return ['ip'];
  return Object.entries(side.values)
    .filter(([, values]) => values.includes(text))
    .map(([kind]) => kind);
}

/** Splits a text of `side` into tokens, with the identity values of `side` and `other` as whole tokens. */
export function tokenize(text: string, side: SideIdentity, other: SideIdentity = side): Token[] {
  return [...text.matchAll(pattern(side, other))].map((m) => ({ text: m[0], kinds: kindsOf(side, m[0]) }));
}

function ipNumber(text: string): { address: number; prefix?: number } | undefined {
  const m = IPV4.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  return { address, ...(m[5] !== undefined ? { prefix: Number(m[5]) } : {}) };
}

/** Offset of an address inside a side's block, or undefined when it is outside. */
function offsetIn(text: string, cidr: string | undefined): { offset: number; prefix?: number } | undefined {
  const ip = ipNumber(text);
  const block = cidr ? ipNumber(cidr) : undefined;
  if (!ip || !block || block.prefix === undefined) return undefined;
  const size = 2 ** (32 - block.prefix);
  const offset = ip.address - block.address;
  if (offset < 0 || offset >= size) return undefined;
  return { offset, ...(ip.prefix !== undefined ? { prefix: ip.prefix } : {}) };
}

export type StringVerdict =
  | { readonly equal: true; readonly identity: boolean }
  | { readonly equal: false; readonly assets?: readonly [string, string] };

/**
 * Whether two strings are the same value once each side's identity is accounted for. `identity` says the raw text
 * differs (by identity values or asset hashes built from the same source). On a difference, `assets` names two
 * asset hashes built from different sources when that is what differs.
 */
export function compareStrings(a: string, b: string, from: SideIdentity, to: SideIdentity): StringVerdict {
  if (a === b) return { equal: true, identity: false };
  const ta = tokenize(a, from, to);
  const tb = tokenize(b, to, from);
  if (ta.length !== tb.length) return { equal: false };
  for (let i = 0; i < ta.length; i++) {
    const x = ta[i];
    const y = tb[i];
    if (x.text === y.text) continue;
    if (x.kinds.includes('ip') && y.kinds.includes('ip')) {
      const ox = offsetIn(x.text, from.cidr);
      const oy = offsetIn(y.text, to.cidr);
      if (ox && oy && ox.offset === oy.offset && ox.prefix === oy.prefix) continue;
      return { equal: false };
    }
    if (x.kinds.some((k) => k !== 'ip' && y.kinds.includes(k))) continue;
    if (ASSET_HASH.test(x.text) && ASSET_HASH.test(y.text)) {
      const sa = from.assets?.get(x.text);
      const sb = to.assets?.get(y.text);
      if (sa !== undefined && sa === sb) continue;
      return { equal: false, assets: [x.text, y.text] };
    }
    return { equal: false };
  }
  return { equal: true, identity: true };
}

/**
 * Whether `a` and `b` are the same text once each pair `[fromValue, toValue]` may stand at the same place (a
 * Kitchen's schema and data prefix against its environment's, including an empty prefix), and `opaque` matches
 * (CloudFormation references, CDK tokens) stand for each other. Found by a memoized search over both strings.
 */
export function equalModulo(
  a: string,
  b: string,
  pairs: readonly (readonly [string, string])[],
  opaque?: RegExp,
): boolean {
  if (a === b) return true;
  const useful = pairs.filter(([x, y]) => x !== y);
  const seen = new Set<number>();
  const width = b.length + 1;
  const stack: [number, number][] = [[0, 0]];
  const sticky = opaque ? new RegExp(opaque.source, 'y') : undefined;
  const opaqueAt = (text: string, at: number): number => {
    if (!sticky) return -1;
    sticky.lastIndex = at;
    const m = sticky.exec(text);
    return m ? m[0].length : -1;
  };
  while (stack.length > 0) {
    const [i, j] = stack.pop()!;
    if (i === a.length && j === b.length) return true;
    const key = i * width + j;
    if (seen.has(key)) continue;
    seen.add(key);
    if (seen.size > 200_000) return false;
    if (i < a.length && j < b.length && a[i] === b[j]) stack.push([i + 1, j + 1]);
    for (const [x, y] of useful) {
      if (a.startsWith(x, i) && b.startsWith(y, j)) stack.push([i + x.length, j + y.length]);
    }
    const la = opaqueAt(a, i);
    const lb = opaqueAt(b, j);
    if (la > 0 && lb > 0) stack.push([i + la, j + lb]);
  }
  return false;
}
