/**
 * The execution plan of a pipeline DAG: a series-parallel tree the compiler turns into Step Functions states.
 * Steps without a path between them run in parallel. When the DAG is not series-parallel, the plan orders by
 * levels, which may make a step wait for an unrelated one but never breaks a dependency.
 */
export type PlanNode =
  | { readonly kind: 'step'; readonly id: string }
  | { readonly kind: 'sequence'; readonly items: readonly PlanNode[] }
  | { readonly kind: 'parallel'; readonly branches: readonly PlanNode[] };

interface Node {
  readonly id: string;
  readonly after: readonly string[];
}

class Bits {
  readonly words: Uint32Array;
  constructor(size: number) {
    this.words = new Uint32Array((size + 31) >>> 5);
  }
  set(i: number): void {
    this.words[i >>> 5] |= 1 << (i & 31);
  }
  has(i: number): boolean {
    return (this.words[i >>> 5] & (1 << (i & 31))) !== 0;
  }
  or(other: Bits): void {
    for (let i = 0; i < this.words.length; i++) this.words[i] |= other.words[i];
  }
}

/** Plans an acyclic set of steps (validate first: `after` must name existing steps, no cycles). */
export function planSteps(steps: readonly Node[]): PlanNode {
  const index = new Map(steps.map((s, i) => [s.id, i]));
  const preds = steps.map((s) => s.after.map((a) => index.get(a)!));
  const succs: number[][] = steps.map(() => []);
  preds.forEach((ps, i) => ps.forEach((p) => succs[p].push(i)));

  // Topological order and ancestor sets.
  const order: number[] = [];
  const indegree = preds.map((p) => p.length);
  const queue = indegree.flatMap((d, i) => (d === 0 ? [i] : []));
  while (queue.length > 0) {
    const i = queue.shift()!;
    order.push(i);
    for (const s of succs[i]) if (--indegree[s] === 0) queue.push(s);
  }
  const ancestors = steps.map(() => new Bits(steps.length));
  for (const i of order) {
    for (const p of preds[i]) {
      ancestors[i].set(p);
      ancestors[i].or(ancestors[p]);
    }
  }

  const plan = (set: number[]): PlanNode => {
    if (set.length === 1) return { kind: 'step', id: steps[set[0]].id };
    // A set with a single source is connected and starts with it: peel such sources one by one (the general case
    // below would reach the same sequence, in time quadratic in the length of a chain).
    const peeled = peelSingleSources(set);
    if (peeled > 0) {
      const first: PlanNode[] = set.slice(0, peeled).map((n) => ({ kind: 'step', id: steps[n].id }));
      return { kind: 'sequence', items: [...first, ...items(plan(set.slice(peeled)))] };
    }
    const members = new Set(set);
    const components = weakComponents(set, members, preds, succs);
    if (components.length > 1) {
      return { kind: 'parallel', branches: components.map((c) => plan(c)) };
    }
    const sources = set.filter((n) => !preds[n].some((p) => members.has(p)));
    const sinks = set.filter((n) => !succs[n].some((s) => members.has(s)));
    const sourceSet = new Set(sources);
    const sinkSet = new Set(sinks);
    const afterSources = set.filter((n) => !sourceSet.has(n));
    const beforeSinks = set.filter((n) => !sinkSet.has(n));
    const sourcesExact = afterSources.every((n) => sources.every((s) => ancestors[n].has(s)));
    const sinksExact = sinks.every((n) => beforeSinks.every((b) => ancestors[n].has(b)));
    if (!sourcesExact && sinksExact) {
      return sequence(plan(beforeSinks), plan(sinks));
    }
    return sequence(plan(sources), plan(afterSources));
  };

  /** How many leading nodes of `set` (topological order) are, one after another, the only source of the rest. */
  const peelSingleSources = (set: number[]): number => {
    const members = new Set(set);
    const indegree = new Map(set.map((n) => [n, preds[n].filter((p) => members.has(p)).length]));
    let sources = set.filter((n) => indegree.get(n) === 0).length;
    let peeled = 0;
    while (set.length - peeled > 1 && sources === 1) {
      const n = set[peeled++];
      members.delete(n);
      sources--;
      for (const s of succs[n]) {
        if (!members.has(s)) continue;
        const d = indegree.get(s)! - 1;
        indegree.set(s, d);
        if (d === 0) sources++;
      }
    }
    return peeled;
  };

  return plan(order);
}

const items = (node: PlanNode): readonly PlanNode[] => (node.kind === 'sequence' ? node.items : [node]);

function sequence(first: PlanNode, second: PlanNode): PlanNode {
  const items = [first, second].flatMap((n) => (n.kind === 'sequence' ? n.items : [n]));
  return { kind: 'sequence', items };
}

function weakComponents(set: number[], members: Set<number>, preds: number[][], succs: number[][]): number[][] {
  const seen = new Set<number>();
  const components: number[][] = [];
  for (const start of set) {
    if (seen.has(start)) continue;
    const component: number[] = [];
    const stack = [start];
    seen.add(start);
    while (stack.length > 0) {
      const n = stack.pop()!;
      component.push(n);
      for (const m of [...preds[n], ...succs[n]]) {
        if (members.has(m) && !seen.has(m)) {
          seen.add(m);
          stack.push(m);
        }
      }
    }
    // Keep the topological order of `set` inside each component.
    const inComponent = new Set(component);
    components.push(set.filter((n) => inComponent.has(n)));
  }
  return components;
}

/** Renders a plan as text, e.g. `load -> (clean | enrich) -> publish`. */
export function describePlan(node: PlanNode): string {
  switch (node.kind) {
    case 'step':
      return node.id;
    case 'sequence':
      return node.items.map(describePlan).join(' -> ');
    case 'parallel':
      return `(${node.branches.map(describePlan).join(' | ')})`;
  }
}

/** Every step id of a plan node, in plan order. */
export function planStepIds(node: PlanNode): string[] {
  switch (node.kind) {
    case 'step':
      return [node.id];
    case 'sequence':
      return node.items.flatMap(planStepIds);
    case 'parallel':
      return node.branches.flatMap(planStepIds);
  }
}

/** A plan whose leaves are stages: sub-plans that each run in a stage child machine. */
export type StagedPlan =
  | { readonly kind: 'stage'; readonly index: number; readonly plan: PlanNode }
  | { readonly kind: 'sequence'; readonly items: readonly StagedPlan[] }
  | { readonly kind: 'parallel'; readonly branches: readonly StagedPlan[] };

/**
 * Splits a plan into stages of at most `budget` weight (`weight(step id)`, summed), keeping the plan's order and
 * parallelism: consecutive items of a sequence, or branches of a parallel node, are grouped into one stage while they
 * fit; a heavier item is split the same way inside; a single step heavier than the budget is a stage of its own.
 * Returns undefined when the whole plan fits one stage (the pipeline stays one machine).
 */
export function planStages(
  plan: PlanNode,
  weight: (id: string) => number,
  budget: number,
): { readonly staged: StagedPlan; readonly stages: readonly PlanNode[] } | undefined {
  const weigh = (node: PlanNode) => planStepIds(node).reduce((sum, id) => sum + weight(id), 0);
  if (weigh(plan) <= budget) return undefined;
  const stages: PlanNode[] = [];
  const stage = (nodes: PlanNode[], kind: 'sequence' | 'parallel'): StagedPlan => {
    const node: PlanNode =
      nodes.length === 1
        ? nodes[0]
        : kind === 'sequence'
          ? { kind: 'sequence', items: nodes }
          : { kind: 'parallel', branches: nodes };
    stages.push(node);
    return { kind: 'stage', index: stages.length - 1, plan: node };
  };
  const pack = (node: PlanNode): StagedPlan => {
    if (node.kind === 'step' || weigh(node) <= budget) return stage([node], 'sequence');
    const children = node.kind === 'sequence' ? node.items : node.branches;
    const packed: StagedPlan[] = [];
    let group: PlanNode[] = [];
    let load = 0;
    const flush = () => {
      if (group.length > 0) packed.push(stage(group, node.kind));
      group = [];
      load = 0;
    };
    for (const child of children) {
      const childWeight = weigh(child);
      if (childWeight > budget) {
        // In a sequence the order must hold: close the group before the heavy item.
        if (node.kind === 'sequence') flush();
        packed.push(pack(child));
        continue;
      }
      if (load + childWeight > budget) flush();
      group.push(child);
      load += childWeight;
    }
    flush();
    if (packed.length === 1) return packed[0];
    return node.kind === 'sequence' ? { kind: 'sequence', items: packed } : { kind: 'parallel', branches: packed };
  };
  const staged = pack(plan);
  return { staged, stages };
}
