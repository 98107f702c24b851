// kitchen constructs: re-exports only.
export * from './kitchen-host-stack';
export * from './kitchen-provider';
export * from './kitchen-reaper';
export * from './kitchen-stack';
export * from './kitchen';
