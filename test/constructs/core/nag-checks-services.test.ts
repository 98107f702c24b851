import * as fs from 'fs';
import * as path from 'path';
import { moduleServices, NAG_SERVICE_MODULES, typeService } from '../../../constructs/core/nag-checks';

const NAG_LIB = path.dirname(require.resolve('cdk-nag'));

/** Every file below `dir`. */
function files(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

describe('the service modules the fast cdk-nag checks may hide', () => {
  it('should be exactly the aws-cdk-lib service modules the installed cdk-nag imports', () => {
    const imported = new Set<string>();
    for (const file of files(NAG_LIB).filter((f) => f.endsWith('.js'))) {
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/require\("aws-cdk-lib\/([a-z0-9-]+)"\)/g)) {
        imported.add(m[1]);
      }
    }
    expect([...NAG_SERVICE_MODULES].sort()).toStrictEqual([...imported].sort());
  });

  // The fast path is sound only if every L1 class of a module declares a resource type of that module's service.
  it.each(NAG_SERVICE_MODULES)('should find the service of every L1 class of %s in its resource type', (module) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const exported = require(`aws-cdk-lib/${module}`) as Record<string, { CFN_RESOURCE_TYPE_NAME?: string }>;
    const classes = Object.keys(exported).filter((name) => name.startsWith('Cfn'));
    const types = classes.map((name) => exported[name].CFN_RESOURCE_TYPE_NAME).filter((t) => t !== undefined);
    expect(types.length).toBeGreaterThan(0);
    const services = moduleServices(module);
    const strays = types.filter((t) => !services.some((s) => (typeService(t) ?? '').startsWith(s)));
    expect(strays).toStrictEqual([]);
  });
});
