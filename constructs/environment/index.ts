// environment constructs: re-exports only.
export * from './alerts';
export * from './container-tasks';
export * from './data-lake';
export * from './environment-imports';
export * from './environment-stack';
export * from './release-environment';
export * from './sftp-ingest';
export * from './vault';
export * from './warehouse';
export * from './landing-feeds';
