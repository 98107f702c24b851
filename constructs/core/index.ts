// Construct helpers shared by every area (stack base, nag acknowledgements, removal policy): re-exports only.
export * from './environment-bound-stack';
export * from './nag';
export { awsSolutionsChecks } from './nag-checks';
export * from './removal';
export * from './prefix-access';
export * from './resources-function';
export { NODE_RUNTIME_CONTEXT, newestNodeRuntime, nodeRuntime } from './runtime';
export * from './service-trust';
