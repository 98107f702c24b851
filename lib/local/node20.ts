/**
 * The one thing aws-local-stepfunctions 3 needs from Node.js 22 that Node.js 20 lacks: `Promise.withResolvers`
 * (ES2024), which it calls for every Task state's timeout. The package declares `"node": ">=22"`; the library
 * supports Node.js 20 and later, so the local runner installs this shim before it loads the package. A test runs a
 * Task state in a fresh process without the native function, with and without the shim.
 */

interface PromiseWithResolvers<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T | PromiseLike<T>) => void;
  readonly reject: (reason?: unknown) => void;
}

/** Adds `Promise.withResolvers` where the runtime lacks it; leaves a native one alone. */
export function installPromiseWithResolvers(): void {
  const target = Promise as unknown as { withResolvers?: <T>() => PromiseWithResolvers<T> };
  if (typeof target.withResolvers === 'function') return;
  Object.defineProperty(Promise, 'withResolvers', {
    configurable: true,
    writable: true,
    enumerable: false,
    value: function withResolvers<T>(): PromiseWithResolvers<T> {
      let resolve!: (value: T | PromiseLike<T>) => void;
      let reject!: (reason?: unknown) => void;
      const promise = new Promise<T>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      return { promise, resolve, reject };
    },
  });
}
