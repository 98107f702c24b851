/**
 * The Kitchen tree of one environment, read from the Kitchens' stack tags (`kitchens:parent` names the parent Kitchen,
 * or the environment for a Kitchen at the top): production <- dev <- staging <- feature Kitchens, mirroring the
 * branch tree. Pure functions over `KitchenSummary` rows, so `kitchen list --tree`, `kitchen delete` (live children,
 * `--cascade`) and `kitchen create --from` (the expiry cap) share one reading. No AWS and no aws-cdk-lib here.
 */
import type { KitchenSummary } from './stacks';

/** Stack states of a Kitchen that is gone, or going: it no longer counts as a live child. */
const GONE = new Set(['DELETE_COMPLETE', 'DELETE_IN_PROGRESS']);

/** Whether a Kitchen still exists as far as its children are concerned. */
export function isLive(kitchen: Pick<KitchenSummary, 'status'>): boolean {
  return !GONE.has(kitchen.status);
}

export interface KitchenNode {
  readonly kitchen: KitchenSummary;
  readonly children: readonly KitchenNode[];
}

export interface KitchenTree {
  /** The environment the tree grows from (the parent of its top Kitchens). */
  readonly environment: string;
  /** Kitchens whose parent is the environment, each with its descendants, sorted by name. */
  readonly roots: readonly KitchenNode[];
  /** Kitchens whose parent Kitchen does not exist (deleted before them): shown apart, never lost. */
  readonly orphans: readonly KitchenNode[];
}

/** The tree of an environment's live Kitchens. A parent cycle (never written by the CLI) is cut and shown as orphans. */
export function kitchenTree(kitchens: readonly KitchenSummary[], environment: string): KitchenTree {
  const live = kitchens.filter(isLive);
  const byName = new Map(live.map((k) => [k.name, k]));
  const childrenOf = new Map<string, KitchenSummary[]>();
  for (const k of live) {
    const parent = k.parent ?? environment;
    childrenOf.set(parent, [...(childrenOf.get(parent) ?? []), k]);
  }
  const placed = new Set<string>();
  const node = (kitchen: KitchenSummary): KitchenNode => {
    placed.add(kitchen.name);
    const children = (childrenOf.get(kitchen.name) ?? [])
      .filter((c) => !placed.has(c.name))
      .sort((a, b) => a.name.localeCompare(b.name));
    return { kitchen, children: children.map(node) };
  };
  const roots = (childrenOf.get(environment) ?? []).sort((a, b) => a.name.localeCompare(b.name)).map(node);
  const orphans = live
    .filter((k) => !placed.has(k.name) && k.parent !== undefined && !byName.has(k.parent))
    .sort((a, b) => a.name.localeCompare(b.name))
    .map(node);
  // Whatever is still unplaced sits on a parent cycle: the first of each cycle shows as an orphan, the rest below it.
  const cyclic: KitchenNode[] = [];
  for (const k of [...live].sort((a, b) => a.name.localeCompare(b.name))) {
    if (!placed.has(k.name)) cyclic.push(node(k));
  }
  return { environment, roots, orphans: [...orphans, ...cyclic] };
}

/** The tree as text, one Kitchen per line with its owner, expiry and status. */
export function renderKitchenTree(tree: KitchenTree): string {
  const lines = [tree.environment];
  const describe = (k: KitchenSummary) =>
    [
      k.name,
      k.owner !== undefined ? `owner ${k.owner}` : undefined,
      k.expires !== undefined ? `${k.expired ? 'expired' : 'expires'} ${k.expires}` : undefined,
      k.status,
    ]
      .filter((part) => part !== undefined)
      .join('  ');
  const walk = (nodes: readonly KitchenNode[], indent: string) => {
    nodes.forEach((n, i) => {
      const last = i === nodes.length - 1;
      lines.push(`${indent}${last ? '└── ' : '├── '}${describe(n.kitchen)}`);
      walk(n.children, `${indent}${last ? '    ' : '│   '}`);
    });
  };
  walk(tree.roots, '');
  if (tree.orphans.length > 0) {
    lines.push('(parent gone)');
    walk(tree.orphans, '');
  }
  return lines.join('\n');
}

/** The live Kitchens whose parent is `name`, sorted. */
export function liveChildren(kitchens: readonly KitchenSummary[], name: string): KitchenSummary[] {
  return kitchens
    .filter((k) => isLive(k) && k.parent === name && k.name !== name)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * The order `kitchen delete NAME --cascade` deletes in: every live descendant of `name` before its parent, `name`
 * last. Each Kitchen appears once, even on a (never written) parent cycle.
 */
export function cascadeOrder(kitchens: readonly KitchenSummary[], name: string): string[] {
  const order: string[] = [];
  const seen = new Set<string>([name]);
  const visit = (parent: string) => {
    for (const child of liveChildren(kitchens, parent)) {
      if (seen.has(child.name)) continue;
      seen.add(child.name);
      visit(child.name);
      order.push(child.name);
    }
  };
  visit(name);
  return [...order, name];
}

export interface CappedExpiry {
  /** The expiry to use: the requested one, or the parent's when the request would outlive it. */
  readonly expires: string;
  /** Set when the request was cut to the parent's expiry: what to tell the user. */
  readonly note?: string;
}

/** A child Kitchen never outlives its parent: an expiry past the parent's is cut to it, and the user is told. */
export function capExpiry(
  child: string,
  requested: string,
  parent: Pick<KitchenSummary, 'name' | 'expires'>,
): CappedExpiry {
  if (parent.expires === undefined) return { expires: requested };
  const wanted = Date.parse(requested);
  const limit = Date.parse(parent.expires);
  if (Number.isNaN(wanted) || Number.isNaN(limit) || wanted <= limit) return { expires: requested };
  return {
    expires: parent.expires,
    note:
      `Kitchen ${child} expires at ${parent.expires}, when its parent Kitchen ${parent.name} does, ` +
      `instead of ${requested}: a child Kitchen never outlives its parent`,
  };
}

/** A Kitchen with live children, deleted without `--cascade`: refused, naming the children. */
export class LiveChildrenError extends Error {
  constructor(
    public readonly kitchen: string,
    public readonly children: readonly string[],
  ) {
    super(
      `Kitchen ${kitchen} has live child Kitchens: ${children.join(', ')}. Delete them first, or give --cascade ` +
        `to delete them (children before parents) and then ${kitchen}`,
    );
    this.name = 'LiveChildrenError';
  }
}

export interface TreeDeletion<R> {
  /** The Kitchens deleted or found gone, in the order they were handled (children first, `name` last). */
  readonly results: readonly R[];
  readonly order: readonly string[];
}

/**
 * Deletes `name`, refusing when it has live children unless `cascade`; with `cascade`, deletes its live descendants
 * first (children before parents, `cascadeOrder`), then `name`. Each deletion is `deleteOne`'s (idempotent: a Kitchen
 * already gone is a no-op), so a cascade that failed half-way can be run again. Stops at the first deletion that
 * throws: a parent is never deleted while a child of it remains.
 */
export async function deleteKitchenTree<R>(options: {
  readonly kitchens: readonly KitchenSummary[];
  readonly name: string;
  readonly cascade: boolean;
  readonly deleteOne: (name: string) => Promise<R>;
}): Promise<TreeDeletion<R>> {
  const children = liveChildren(options.kitchens, options.name).map((k) => k.name);
  if (children.length > 0 && !options.cascade) throw new LiveChildrenError(options.name, children);
  const order = options.cascade ? cascadeOrder(options.kitchens, options.name) : [options.name];
  const results: R[] = [];
  for (const kitchen of order) results.push(await options.deleteOne(kitchen));
  return { results, order };
}
