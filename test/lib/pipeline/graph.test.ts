import { describePlan, planSteps } from '../../../lib/pipeline/graph';

const step = (id: string, ...after: string[]) => ({ id, after });

describe('planSteps', () => {
  it('should keep a linear pipeline in sequence', () => {
    expect(planSteps([step('a'), step('b', 'a'), step('c', 'b')])).toStrictEqual({
      kind: 'sequence',
      items: [
        { kind: 'step', id: 'a' },
        { kind: 'step', id: 'b' },
        { kind: 'step', id: 'c' },
      ],
    });
  });

  it('should run the middle of a diamond in parallel', () => {
    expect(describePlan(planSteps([step('a'), step('b', 'a'), step('c', 'a'), step('d', 'b', 'c')]))).toBe(
      'a -> (b | c) -> d',
    );
  });

  it('should keep chains together inside a fan-out', () => {
    expect(describePlan(planSteps([step('a'), step('b', 'a'), step('c', 'a'), step('c2', 'c'), step('d', 'a')]))).toBe(
      'a -> (b | c -> c2 | d)',
    );
  });

  it('should run independent pipelines side by side', () => {
    expect(describePlan(planSteps([step('a'), step('b', 'a'), step('x'), step('y', 'x')]))).toBe('(a -> b | x -> y)');
  });

  it('should join at a sink without making one branch wait for the other', () => {
    // a -> b -> c and d -> c: d runs alongside a -> b.
    expect(describePlan(planSteps([step('a'), step('b', 'a'), step('d'), step('c', 'b', 'd')]))).toBe(
      '(a -> b | d) -> c',
    );
  });

  it('should order a DAG that is not series-parallel by levels without breaking a dependency', () => {
    // The "N" shape: a -> c, b -> c, b -> d.
    const steps = [step('a'), step('b'), step('c', 'a', 'b'), step('d', 'b')];
    const text = describePlan(planSteps(steps));
    expect(text).toBe('(a | b) -> (c | d)');
  });
});
