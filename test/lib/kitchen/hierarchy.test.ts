import * as fc from 'fast-check';
import {
  capExpiry,
  cascadeOrder,
  deleteKitchenTree,
  kitchenTree,
  liveChildren,
  renderKitchenTree,
  type KitchenNode,
} from '../../../lib/kitchen/hierarchy';
import type { KitchenSummary } from '../../../lib/kitchen/stacks';

function kitchen(name: string, parent: string, extra: Partial<KitchenSummary> = {}): KitchenSummary {
  return {
    name,
    parent,
    environment: 'dev',
    stackName: `acme-dev-kitchen-${name}`,
    expired: false,
    status: 'CREATE_COMPLETE',
    ...extra,
  };
}

const THREE_LEVELS = [
  kitchen('staging', 'dev', { owner: 'ci', expires: '2026-12-20T00:00:00Z' }),
  kitchen('profit-report', 'staging', { owner: 'ana', expires: '2026-12-10T00:00:00Z' }),
  kitchen('churn', 'staging', { owner: 'bo', expires: '2026-12-01T00:00:00Z', expired: true }),
  kitchen('profit-report-fix', 'profit-report', { owner: 'ana', status: 'UPDATE_COMPLETE' }),
  kitchen('scratch', 'dev'),
  kitchen('left-behind', 'deleted-parent'),
  kitchen('gone', 'staging', { status: 'DELETE_COMPLETE' }),
];

describe('the Kitchen tree of an environment', () => {
  it('should draw dev <- staging <- feature Kitchens as a tree, with orphans apart and deleted Kitchens left out', () => {
    expect(renderKitchenTree(kitchenTree(THREE_LEVELS, 'dev'))).toBe(
      [
        'dev',
        '├── scratch  CREATE_COMPLETE',
        '└── staging  owner ci  expires 2026-12-20T00:00:00Z  CREATE_COMPLETE',
        '    ├── churn  owner bo  expired 2026-12-01T00:00:00Z  CREATE_COMPLETE',
        '    └── profit-report  owner ana  expires 2026-12-10T00:00:00Z  CREATE_COMPLETE',
        '        └── profit-report-fix  owner ana  UPDATE_COMPLETE',
        '(parent gone)',
        '└── left-behind  CREATE_COMPLETE',
      ].join('\n'),
    );
  });

  it('should name the live children of a Kitchen, and none of a leaf', () => {
    expect(liveChildren(THREE_LEVELS, 'staging').map((k) => k.name)).toStrictEqual(['churn', 'profit-report']);
    expect(liveChildren(THREE_LEVELS, 'profit-report-fix')).toStrictEqual([]);
  });

  it('should delete children before parents with --cascade, the Kitchen asked for last', () => {
    expect(cascadeOrder(THREE_LEVELS, 'staging')).toStrictEqual([
      'churn',
      'profit-report-fix',
      'profit-report',
      'staging',
    ]);
    expect(cascadeOrder(THREE_LEVELS, 'scratch')).toStrictEqual(['scratch']);
  });

  /** Random forests of Kitchens: each Kitchen's parent is the environment or an earlier Kitchen; some are deleted. */
  const forests = fc.array(fc.tuple(fc.nat(), fc.boolean()), { minLength: 1, maxLength: 40 }).map((specs) =>
    specs.map(([pick, deleted], i) =>
      kitchen(`k${i}`, i === 0 || pick % (i + 1) === i ? 'dev' : `k${pick % i}`, {
        status: deleted && i % 3 === 0 ? 'DELETE_COMPLETE' : 'CREATE_COMPLETE',
      }),
    ),
  );

  it('should place every live Kitchen exactly once, under its parent (property)', () => {
    fc.assert(
      fc.property(forests, (kitchens) => {
        const tree = kitchenTree(kitchens, 'dev');
        const seen: string[] = [];
        const walk = (nodes: readonly KitchenNode[], parent: string | undefined) => {
          for (const n of nodes) {
            seen.push(n.kitchen.name);
            if (parent !== undefined) expect(n.kitchen.parent).toBe(parent);
            walk(n.children, n.kitchen.name);
          }
        };
        walk(tree.roots, undefined);
        walk(tree.orphans, undefined);
        const live = kitchens.filter((k) => k.status !== 'DELETE_COMPLETE').map((k) => k.name);
        expect(seen.sort()).toStrictEqual(live.sort());
        for (const root of tree.roots) expect(root.kitchen.parent).toBe('dev');
      }),
    );
  });

  it('should cascade over every live descendant, each after all of its own children (property)', () => {
    fc.assert(
      fc.property(forests, fc.nat(), (kitchens, pick) => {
        const target = kitchens[pick % kitchens.length].name;
        const order = cascadeOrder(kitchens, target);
        expect(order[order.length - 1]).toBe(target);
        expect(new Set(order).size).toBe(order.length);
        for (const name of order) {
          for (const child of liveChildren(kitchens, name)) {
            expect(order.indexOf(child.name)).toBeLessThan(order.indexOf(name));
          }
        }
      }),
    );
  });

  it('should survive a parent cycle (never written by the CLI) and show its Kitchens once', () => {
    const cycle = [kitchen('a', 'b'), kitchen('b', 'a'), kitchen('c', 'dev')];
    const tree = kitchenTree(cycle, 'dev');
    expect(tree.roots.map((n) => n.kitchen.name)).toStrictEqual(['c']);
    expect(tree.orphans.map((n) => n.kitchen.name)).toStrictEqual(['a']);
    expect(tree.orphans[0].children.map((n) => n.kitchen.name)).toStrictEqual(['b']);
    expect(cascadeOrder(cycle, 'a')).toStrictEqual(['b', 'a']);
  });
});

describe("a child Kitchen's expiry", () => {
  const parent = { name: 'staging', expires: '2026-12-20T00:00:00Z' };

  it("should be cut to the parent's, and say so", () => {
    expect(capExpiry('feature', '2026-12-31T00:00:00Z', parent)).toStrictEqual({
      expires: '2026-12-20T00:00:00Z',
      note:
        'Kitchen feature expires at 2026-12-20T00:00:00Z, when its parent Kitchen staging does, instead of ' +
        '2026-12-31T00:00:00Z: a child Kitchen never outlives its parent',
    });
  });

  it("should stay as asked when it ends before the parent's, or the parent has no expiry", () => {
    expect(capExpiry('feature', '2026-12-19T00:00:00Z', parent)).toStrictEqual({ expires: '2026-12-19T00:00:00Z' });
    expect(capExpiry('feature', '2027-01-01T00:00:00Z', { name: 'staging' })).toStrictEqual({
      expires: '2027-01-01T00:00:00Z',
    });
  });
});

describe('deleting a Kitchen that has children', () => {
  it('fails without --cascade, naming the live children, and deletes nothing', async () => {
    const deleted: string[] = [];
    await expect(
      deleteKitchenTree({
        kitchens: THREE_LEVELS,
        name: 'staging',
        cascade: false,
        deleteOne: async (n) => deleted.push(n),
      }),
    ).rejects.toThrow(
      'Kitchen staging has live child Kitchens: churn, profit-report. Delete them first, or give --cascade to delete ' +
        'them (children before parents) and then staging',
    );
    expect(deleted).toStrictEqual([]);
  });

  it('should delete children first with --cascade, and a leaf alone without it', async () => {
    const deleted: string[] = [];
    const deleteOne = async (n: string) => {
      deleted.push(n);
      return n;
    };
    const tree = await deleteKitchenTree({ kitchens: THREE_LEVELS, name: 'staging', cascade: true, deleteOne });
    expect(tree.order).toStrictEqual(['churn', 'profit-report-fix', 'profit-report', 'staging']);
    expect(deleted).toStrictEqual(tree.order);
    const leaf = await deleteKitchenTree({ kitchens: THREE_LEVELS, name: 'scratch', cascade: false, deleteOne });
    expect(leaf.results).toStrictEqual(['scratch']);
  });

  it('should stop at a failed deletion and never delete a parent while a child remains', async () => {
    const deleted: string[] = [];
    await expect(
      deleteKitchenTree({
        kitchens: THREE_LEVELS,
        name: 'staging',
        cascade: true,
        deleteOne: async (n) => {
          if (n === 'profit-report-fix') throw new Error('stack DELETE_FAILED');
          deleted.push(n);
        },
      }),
    ).rejects.toThrow('stack DELETE_FAILED');
    expect(deleted).toStrictEqual(['churn']);
  });
});
