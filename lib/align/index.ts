export * from './check';
export * from './diff';
export * from './kitchen';
export * from './normalize';
export * from './promote';
export * from './report';
export * from './state-machine';
