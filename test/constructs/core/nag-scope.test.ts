import * as fs from 'fs';
import { App, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { buildApp, type BuildAppOptions } from '../../../lib/app';
import { FEATURE_FLAGS } from '../../../lib/feature-flags';
import { exampleConfig } from '../../support/app';
import { synthToDir, tempOutdir } from '../../support/synth';

/** A user's app: the library's dev environment and a stack of the user's own with an unencrypted, HTTP-open bucket. */
function userApp(options: BuildAppOptions) {
  const outdir = tempOutdir('nag-scope');
  const app = new App({ outdir, context: { ...FEATURE_FLAGS } });
  const mine = new Stack(app, 'MyOwnStack', { env: { account: '111111111111', region: 'eu-west-1' } });
  new s3.Bucket(mine, 'Plain');
  const built = buildApp(exampleConfig(), { ...options, environments: ['dev'] }, app);
  new s3.Bucket(built.environments.dev, 'Unsafe');
  const { violations } = synthToDir(app);
  fs.rmSync(outdir, { recursive: true, force: true });
  return violations;
}

describe('the scope of the library cdk-nag checks', () => {
  it("should check the library's stacks and leave the user's own stack alone by default", () => {
    const violations = userApp({ nag: true });
    expect(violations).toEqual(expect.arrayContaining(['AwsSolutions-S1 at acme-dev/Unsafe/Resource']));
    expect(violations.filter((v) => v.includes('MyOwnStack'))).toStrictEqual([]);
  });

  it("should check the user's own stack too with nagScope 'app'", () => {
    const violations = userApp({ nag: true, nagScope: 'app' });
    expect(violations).toEqual(
      expect.arrayContaining([
        'AwsSolutions-S1 at acme-dev/Unsafe/Resource',
        'AwsSolutions-S1 at MyOwnStack/Plain/Resource',
      ]),
    );
  });

  it('should run no checks with nag off', () => {
    expect(userApp({ nag: false })).toStrictEqual([]);
  });

  it('fails when nagScope is neither library nor app', () => {
    expect(() => buildApp(exampleConfig(), { nagScope: 'everything' as 'app' }, new App())).toThrow(
      "buildApp: options.nagScope must be 'library' or 'app', got: \"everything\"",
    );
  });
});
