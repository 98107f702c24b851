/**
 * CDK's built-in CloudFormation validation (a WebAssembly checker aws-cdk-lib runs after synth) is opt-in here:
 * it makes a synth several times slower and heavier, so it runs only where `CDK_VALIDATION=true` asks for it (CI's
 * one synth, one test). aws-cdk-lib turns it on unless told otherwise, and the CLI's `"validation": false` in
 * cdk.json does not reach the app (the command line's `--validation` default overrides it), so every App this
 * project creates sets `builtinCloudFormationValidation` from this function. cdk-nag is separate and stays on.
 */
export const VALIDATION_VARIABLE = 'CDK_VALIDATION';

export function builtinValidation(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[VALIDATION_VARIABLE] === 'true';
}
