export * from './test-metrics';
export * from './dataops-monitoring';
