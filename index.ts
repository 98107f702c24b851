/**
 * cdk-kitchens: aligned DataOps release environments and per-developer Kitchens on AWS, as CDK constructs.
 *
 * The one entry module of the package (`import { Vault, buildApp } from 'cdk-kitchens'`). It exports the
 * constructs and their props, the config loader and model, the pipeline builder and model, `buildApp` (the
 * YAML-config fast path), the naming rules and the feature flags the constructs are tested with. The `kitchen`
 * CLI, the bundled CDK app and the benchmarks import from here or from the same modules. Re-exports only.
 *
 * @packageDocumentation
 */
export * from './constructs';
export * from './lib/config';
export * from './lib/pipeline';
export * from './lib/app';
export * from './lib/feature-flags';
export * from './lib/naming';
export * from './lib/parameters';
export { KITCHEN_CONTEXT, KITCHENS_CONTEXT, KITCHEN_TAGS, kitchenOptions, kitchenContext } from './lib/kitchen/options';
export type { KitchenOptions } from './lib/kitchen/options';
// Pipelines are nested stacks with stored definitions: read a stack's templates folded back together.
export { assemblyFiles, foldTemplate, readAssemblyTemplate, stackTemplate } from './lib/templates';
export type { AssemblyStackLike, FoldableTemplate, TemplateFiles } from './lib/templates';
