// Every construct of cdk-kitchens, by area: re-exports only.
export * from './core';
export * from './environment';
export * from './kitchen';
export * from './pipeline';
export * from './clone';
export * from './observability';
