// Unit tests synthesize many stacks: aws-cdk-lib's built-in template checker makes that 6-11x slower.
// One CI synth (`npm run synth`) keeps it on.
process.env.CDK_VALIDATION = process.env.CDK_VALIDATION ?? 'false';
process.env.AWS_REGION = process.env.AWS_REGION ?? 'eu-west-1';
process.env.AWS_ACCESS_KEY_ID = process.env.AWS_ACCESS_KEY_ID ?? 'testing';
process.env.AWS_SECRET_ACCESS_KEY = process.env.AWS_SECRET_ACCESS_KEY ?? 'testing';
