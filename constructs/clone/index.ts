// clone constructs: re-exports only.
export * from './clone-job';
export * from './clone-setup-run';
export * from './clone-transfer';
export * from './object-clone';
export * from './hash-key-drop';
