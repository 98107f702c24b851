/** `kitchen align` on config layouts (issue #24): undeclared config differences are drift, bad input stays exit 2. */
import * as fs from 'fs';
import { kitchen } from './support/cli';
import { EXAMPLE_CONFIG } from '../support/app';
import { tempDir, writeConfigVariant } from '../fixtures/align/corpus';

describe('kitchen align with config differences', () => {
  const dir = tempDir();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const configWith = (name: string, edit: Parameters<typeof writeConfigVariant>[3]) =>
    writeConfigVariant(EXAMPLE_CONFIG, dir, name, edit);

  it('should report an undeclared config difference as drift (exit 1), naming the field and both values', async () => {
    const config = configWith('undeclared nodes', (doc) => {
      const declared = (doc.getIn(['alignment', 'divergence']) as { items: { value: string }[] }).items;
      doc.setIn(
        ['alignment', 'divergence'],
        declared.map((i) => i.value).filter((f) => f !== 'warehouse.nodes'),
      );
    });
    const text = await kitchen(['align'], config);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      `  Config.warehouse.nodes\n    dev: 1\n    production: 2\n    why: undeclared drift: ${config} gives environments.dev.warehouse.nodes 1 and environments.production.warehouse.nodes 2; declare "warehouse.nodes" under alignment.divergence if this difference is intended`,
    );
    const json = await kitchen(['--json', 'align'], config);
    expect(json.code).toBe(1);
    const drift = (
      JSON.parse(json.stdout) as {
        differences: { classification: string; section: string; logicalId: string; path: string }[];
      }
    ).differences
      .filter((d) => d.classification === 'drift')
      .map((d) => `${d.section} ${d.logicalId} ${d.path}`);
    // the config field, and what it produces in the template
    expect(drift).toStrictEqual([
      'Config warehouse.nodes ',
      'Resources EnvironmentWarehouseA722EDCF Properties.ClusterType',
      'Resources EnvironmentWarehouseA722EDCF Properties.NumberOfNodes',
    ]);
  });

  it('should keep other commands refusing the same config as bad input', async () => {
    const config = configWith('undeclared schedules', (doc) => {
      const declared = (doc.getIn(['alignment', 'divergence']) as { items: { value: string }[] }).items;
      doc.setIn(
        ['alignment', 'divergence'],
        declared.map((i) => i.value).filter((f) => f !== 'schedules'),
      );
    });
    const listed = await kitchen(['list'], config);
    expect(listed.code).toBe(2);
    expect(listed.stderr).toContain('environments.dev.schedules is false but production (production) has true');
    const aligned = await kitchen(['align'], config);
    expect(aligned.code).toBe(1);
    expect(aligned.stdout).toContain('  Config.schedules\n    dev: false\n    production: true\n');
  });

  it('should keep bad input at exit 2', async () => {
    const config = configWith('bad nodes', (doc) => doc.setIn(['environments', 'dev', 'warehouse', 'nodes'], 'two'));
    const result = await kitchen(['align'], config);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('environments.dev.warehouse.nodes must be an integer from 1 to 128, got: "two"');
  });
});
