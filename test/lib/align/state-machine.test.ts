import { diffValues, formatPath } from '../../../lib/align/diff';
import { flattenStates, joinDefinition, parseDefinition, stateEdges } from '../../../lib/align/state-machine';

describe('pipeline definitions', () => {
  const joined = {
    'Fn::Join': [
      '',
      [
        '{"StartAt":"Load orders","States":{"Load orders":{"Type":"Task","Resource":"arn:',
        { Ref: 'AWS::Partition' },
        ':states:::aws-sdk:redshiftdata:executeStatement","Parameters":{"ClusterIdentifier":"',
        { 'Fn::GetAtt': ['Warehouse', 'Id'] },
        '"},"Next":"Checks"},"Checks":{"Type":"Parallel","Branches":[{"StartAt":"Test: orders row count","States":{"Test: orders row count":{"Type":"Pass","End":true}}},',
        '{"StartAt":"Test: \\"quoted\\" <ids>","States":{"Test: \\"quoted\\" <ids>":{"Type":"Pass","End":true}}}],"Next":"Done?"},',
        '"Done?":{"Type":"Choice","Choices":[{"Variable":"$.ok","BooleanEquals":true,"Next":"Publish"}],"Default":"Failed"},',
        '"Publish":{"Type":"Pass","End":true},"Failed":{"Type":"Fail"}}}',
      ],
    ],
  };

  it('should join an Fn::Join definition with tokens rendered inside the JSON strings', () => {
    const text = joinDefinition(joined)!;
    expect(text).toContain('"Resource":"arn:${AWS::Partition}:states:::aws-sdk:redshiftdata:executeStatement"');
    expect(text).toContain('"ClusterIdentifier":"${Warehouse.Id}"');
    expect(parseDefinition(joined)?.StartAt).toBe('Load orders');
  });

  it('should return undefined for definitions that are not ASL JSON', () => {
    expect(parseDefinition({ 'Fn::Join': ['', ['{"StartAt":', { Ref: 'X' }, '}']] })).toBeUndefined();
    expect(parseDefinition({ 'Fn::Sub': 'x' })).toBeUndefined();
    expect(parseDefinition('{"Comment":"no states"}')).toBeUndefined();
  });

  it('should list nested states by name and replace branches by their start states', () => {
    const states = flattenStates(parseDefinition(joined)!);
    expect([...states.keys()]).toStrictEqual([
      'Load orders',
      'Test: orders row count',
      'Test: "quoted" <ids>',
      'Checks',
      'Done?',
      'Publish',
      'Failed',
    ]);
    expect(states.get('Checks')?.Branches).toStrictEqual([
      { StartAt: 'Test: orders row count' },
      { StartAt: 'Test: "quoted" <ids>' },
    ]);
  });

  it('should list every transition, nested ones included', () => {
    const edges = stateEdges(parseDefinition(joined)!).map(
      (e) => `${e.from} -> ${e.to}${e.label ? ` (${e.label})` : ''}`,
    );
    expect(edges).toStrictEqual([
      '(start) -> Load orders',
      'Load orders -> Checks',
      'Checks -> Done?',
      'Checks -> Test: orders row count (branch)',
      'Test: orders row count -> (end)',
      'Checks -> Test: "quoted" <ids> (branch)',
      'Test: "quoted" <ids> -> (end)',
      'Done? -> Failed (otherwise)',
      'Done? -> Publish (when)',
      'Publish -> (end)',
      'Failed -> (end)',
    ]);
  });
});

describe('value differences', () => {
  it('should report leaf paths, and list elements only on one side when lengths differ', () => {
    const diffs = diffValues(
      { Properties: { A: 1, List: [{ x: 1 }, { y: 2 }], Same: [1, 2], Rules: [{ Id: 'r', Days: 3 }] } },
      { Properties: { A: 2, List: [{ y: 2 }], Same: [1, 2], Rules: [{ Id: 'r', Days: 4 }], B: true } },
    );
    expect(diffs.map((d) => [formatPath(d.path), d.kind, d.from, d.to])).toStrictEqual([
      ['Properties.A', 'changed', 1, 2],
      ['Properties.B', 'only-to', undefined, true],
      ['Properties.List', 'elements', [{ x: 1 }], []],
      ['Properties.Rules[0].Days', 'changed', 3, 4],
    ]);
  });

  it('should quote path segments that are not identifiers', () => {
    expect(formatPath(['Properties', 'DefinitionString', 'States', 'Test: orders', 'Next', 0])).toBe(
      'Properties.DefinitionString.States["Test: orders"].Next[0]',
    );
  });
});
