/**
 * The Node.js runtime of every Lambda function the library creates, its own and those of aws-cdk-lib's provider
 * framework that it instantiates.
 *
 * The runtime follows the aws-cdk-lib the app has installed: the newest `nodejsNN.x` in `lambda.Runtime.ALL`, the
 * list cdk-nag's AwsSolutions-L1 compares with. A newer aws-cdk-lib that learns a new Node.js release therefore moves
 * the functions along instead of failing the synth. Where the newest runtime is not available yet (a partition or a
 * region that lags), the app pins one with the context key {@link NODE_RUNTIME_CONTEXT}
 * (`cdk synth -c cdk-kitchens:nodeRuntime=nodejs24.x`, or `"context"` in cdk.json); the library then acknowledges
 * AwsSolutions-L1 on exactly the functions it pinned, with the pin as the reason.
 */
import { Token } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { acknowledge } from './nag';

/** The context key that pins the Node.js runtime of the library's functions (`nodejs22.x`, `nodejs24.x`, ...). */
export const NODE_RUNTIME_CONTEXT = 'cdk-kitchens:nodeRuntime';

/** The oldest Node.js major version the library's handlers support. */
export const OLDEST_NODE_MAJOR = 20;

const NODE_RUNTIME_NAME = /^nodejs(\d+)\.x$/;

/** The major version of a `nodejsNN.x` runtime name, or undefined for any other name. */
function nodeMajor(name: string): number | undefined {
  const match = NODE_RUNTIME_NAME.exec(name);
  return match ? Number(match[1]) : undefined;
}

/**
 * The newest `nodejsNN.x` runtime the installed aws-cdk-lib knows (`lambda.Runtime.ALL`, which also holds every
 * runtime an app constructed itself).
 */
export function newestNodeRuntime(): lambda.Runtime {
  let newest: lambda.Runtime | undefined;
  for (const runtime of lambda.Runtime.ALL) {
    if (runtime.family !== lambda.RuntimeFamily.NODEJS || Token.isUnresolved(runtime.name)) continue;
    const major = nodeMajor(runtime.name);
    if (major === undefined) continue;
    if (!newest || major > nodeMajor(newest.name)!) newest = runtime;
  }
  if (!newest) {
    throw new Error('cdk-kitchens: the installed aws-cdk-lib lists no nodejsNN.x Lambda runtime in lambda.Runtime.ALL');
  }
  return newest;
}

/** The runtime an app pinned with {@link NODE_RUNTIME_CONTEXT}, validated; undefined when it pinned none. */
function pinnedRuntime(scope: IConstruct): lambda.Runtime | undefined {
  const value: unknown = scope.node.tryGetContext(NODE_RUNTIME_CONTEXT);
  if (value === undefined || value === null || value === '') return undefined;
  const major = typeof value === 'string' ? nodeMajor(value) : undefined;
  if (major === undefined || major < OLDEST_NODE_MAJOR) {
    throw new Error(
      `context ${NODE_RUNTIME_CONTEXT} must name a Node.js Lambda runtime nodejsNN.x with NN >= ${OLDEST_NODE_MAJOR} ` +
        `(the newest this aws-cdk-lib knows is ${newestNodeRuntime().name}), got: ${JSON.stringify(value)}`,
    );
  }
  // The existing object when aws-cdk-lib knows the name (constructing one would add it to Runtime.ALL).
  return (
    lambda.Runtime.ALL.find((r) => r.name === value && r.family === lambda.RuntimeFamily.NODEJS) ??
    new lambda.Runtime(value as string, lambda.RuntimeFamily.NODEJS, { supportsInlineCode: true })
  );
}

/**
 * The runtime of a function the library creates in `scope`: the one pinned with {@link NODE_RUNTIME_CONTEXT}, or
 * else the newest the installed aws-cdk-lib knows.
 */
export function nodeRuntime(scope: IConstruct): lambda.Runtime {
  return pinnedRuntime(scope) ?? newestNodeRuntime();
}

/**
 * Settles the runtime of a Node.js function created in `scope` (the library's own, or one that aws-cdk-lib's
 * provider framework created with a runtime read from a regional fact): sets it to {@link nodeRuntime}, and when
 * that is a pin older than the newest runtime, acknowledges AwsSolutions-L1 on that function with the pin as the
 * reason.
 */
export function settleNodeRuntime(fn: lambda.Function): void {
  const runtime = nodeRuntime(fn);
  const cfn = fn.node.defaultChild as lambda.CfnFunction;
  cfn.runtime = runtime.name;
  const newest = newestNodeRuntime();
  if (runtime.name !== newest.name) {
    acknowledge(
      fn,
      'AwsSolutions-L1',
      `The app pins this function to ${runtime.name} with the context key ${NODE_RUNTIME_CONTEXT}, because ` +
        `${newest.name} is not available in its partition or region yet.`,
    );
  }
}

/**
 * Settles the runtime of every Node.js function below `scope` that aws-cdk-lib's provider framework created
 * (`cr.Provider` picks its own from a regional fact, which need not be what cdk-nag expects).
 */
export function settleProviderRuntimes(scope: IConstruct): void {
  for (const child of scope.node.findAll()) {
    if (child instanceof lambda.Function && child.runtime.family === lambda.RuntimeFamily.NODEJS) {
      settleNodeRuntime(child);
    }
  }
}
