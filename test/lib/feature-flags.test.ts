import * as fs from 'fs';
import * as path from 'path';
import { FEATURE_FLAGS } from '../../lib/feature-flags';

const ROOT = path.join(__dirname, '..', '..');

describe('the feature flags', () => {
  it('should be exactly the recommended flags the aws-cdk CLI of devDependencies writes on cdk init', () => {
    // The file `cdk init` copies into the "context" of a new project's cdk.json.
    const file = path.join(ROOT, 'node_modules', 'aws-cdk', 'lib', 'init-templates', '.recommended-feature-flags.json');
    expect(FEATURE_FLAGS).toStrictEqual(JSON.parse(fs.readFileSync(file, 'utf8')));
  });

  it("should be the context of the project's cdk.json", () => {
    const cdkJson = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { context?: unknown };
    expect(cdkJson.context).toStrictEqual(FEATURE_FLAGS);
  });

  it('should render ARNs with a literal partition when the region is known', () => {
    expect(FEATURE_FLAGS['@aws-cdk/core:enablePartitionLiterals']).toBe(true);
  });
});
