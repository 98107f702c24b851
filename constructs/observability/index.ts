export * from './test-metrics';
