import { execFileSync } from 'child_process';
import * as path from 'path';
import { installPromiseWithResolvers } from '../../../lib/local/node20';

const ROOT = path.join(__dirname, '..', '..', '..');

/**
 * Runs one Task state (with a timeout, the path that calls Promise.withResolvers) in aws-local-stepfunctions, in a
 * fresh Node.js process whose Promise.withResolvers was removed (as on Node 20), with or without the shim.
 */
function runTaskWithout(shim: boolean): string {
  const script = `
    delete Promise.withResolvers;
    ${shim ? "require('./lib/local/node20').installPromiseWithResolvers();" : ''}
    import('aws-local-stepfunctions').then(({ StateMachine }) => {
      const machine = new StateMachine({ StartAt: 'Task', States: { Task: {
        Type: 'Task', Resource: 'arn:aws:lambda:eu-west-1:111111111111:function:f', TimeoutSeconds: 5, End: true } } });
      const handler = async (input) => ({ doubled: input.n * 2 });
      return machine.run({ n: 21 }, { overrides: { taskResourceLocalHandlers: { Task: handler } } }).result;
    }).then((out) => console.log('result ' + JSON.stringify(out)), (e) => console.log('failed ' + e.message));`;
  return execFileSync(
    process.execPath,
    [path.join(ROOT, 'node_modules', 'ts-node', 'dist', 'bin.js'), '--swc', '-e', script],
    { cwd: ROOT, encoding: 'utf8' },
  ).trim();
}

describe('the Node 20 shim of aws-local-stepfunctions', () => {
  it('should let a Task state run where Promise.withResolvers is missing', () => {
    expect(runTaskWithout(true)).toBe('result {"doubled":42}');
  });

  it('fails the Task state without the shim (so the shim is what makes it run)', () => {
    expect(runTaskWithout(false)).toBe(
      'failed Execution has failed with the following error: Promise.withResolvers is not a function',
    );
  });

  it('should resolve and reject like the native function, and leave a native one in place', () => {
    const native = (Promise as unknown as { withResolvers?: unknown }).withResolvers;
    installPromiseWithResolvers();
    const withResolvers = (
      Promise as unknown as {
        withResolvers: <T>() => { promise: Promise<T>; resolve: (v: T) => void; reject: (r: unknown) => void };
      }
    ).withResolvers;
    if (native) expect(withResolvers).toBe(native);
    const ok = withResolvers<number>();
    ok.resolve(7);
    const bad = withResolvers<number>();
    bad.reject(new Error('no'));
    return Promise.all([expect(ok.promise).resolves.toBe(7), expect(bad.promise).rejects.toThrow('no')]);
  });
});
