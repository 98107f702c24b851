// pipeline constructs: re-exports only.
export * from './pipeline';
export * from './pipeline-stack';
export * from './schedule';
export * from './states';
export * from './step-fragments';
export * from './target';
export * from './test-fragment';
