export * from './errors';
export * from './loader';
export * from './model';
export * from './schema';
