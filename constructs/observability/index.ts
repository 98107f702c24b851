export * from './test-metrics';
export * from './dataops-monitoring';
export * from './all-green';
export * from './job-monitoring';
export * from './pipeline-monitoring';
