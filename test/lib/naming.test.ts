import { cloneTransfer } from '../../lib/clone/transfer';
import {
  kitchenNameFromBranch,
  kitchenNameProblem,
  Names,
  partitionOf,
  pascal,
  validateKitchenName,
} from '../../lib/naming';
import { exampleConfig } from '../support/app';

describe('Kitchen names', () => {
  it.each(['profit-report', 'abc', 'a1-b2-c3', 'x'.repeat(24)])('should accept %s', (name) => {
    expect(kitchenNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['ab', 'Kitchen name "ab" must be 3 to 24 characters long, got 2'],
    ['x'.repeat(25), `Kitchen name "${'x'.repeat(25)}" must be 3 to 24 characters long, got 25`],
    [
      'Profit',
      'Kitchen name "Profit" must be lowercase letters, digits and single hyphens, start with a letter and not end with a hyphen (for example "profit-report")',
    ],
    [
      'profit--report',
      'Kitchen name "profit--report" must be lowercase letters, digits and single hyphens, start with a letter and not end with a hyphen (for example "profit-report")',
    ],
    [
      '1report',
      'Kitchen name "1report" must be lowercase letters, digits and single hyphens, start with a letter and not end with a hyphen (for example "profit-report")',
    ],
    [
      'report-',
      'Kitchen name "report-" must be lowercase letters, digits and single hyphens, start with a letter and not end with a hyphen (for example "profit-report")',
    ],
    [
      'pg-catalog',
      'Kitchen name "pg-catalog" is reserved: names starting with "pg" collide with warehouse system schemas',
    ],
    ['aws-test', 'Kitchen name "aws-test" is reserved: names starting with "aws-" or "redshift" are used by AWS'],
  ])('fails on %s', (name, message) => {
    expect(() => validateKitchenName(name)).toThrow(message);
  });

  it('fails on reserved names, including the configured environment names', () => {
    expect(kitchenNameProblem('production')).toMatch(
      /^Kitchen name "production" is reserved; reserved names are: .*production/,
    );
    expect(kitchenNameProblem('public')).toMatch(/is reserved/);
    expect(kitchenNameProblem('qa-env')).toBeUndefined();
    expect(kitchenNameProblem('qa-env', ['qa-env'])).toMatch(/^Kitchen name "qa-env" is reserved/);
  });
});

describe('kitchenNameFromBranch', () => {
  it.each([
    ['feature/ABC-12_Profit', 'abc-12-profit'],
    ['refs/heads/feature/ABC-12_Profit', 'abc-12-profit'],
    ['bugfix/orders__null  rate', 'orders-null-rate'],
    ['jane/experiment', 'jane-experiment'],
    ['123-hotfix', 'k-123-hotfix'],
  ])('should turn %s into %s', (branch, name) => {
    expect(kitchenNameFromBranch(branch)).toBe(name);
  });

  it('should keep long names unique and within the limit, deterministically', () => {
    const a = kitchenNameFromBranch('feature/a-very-long-branch-name-about-the-profit-report-one');
    const b = kitchenNameFromBranch('feature/a-very-long-branch-name-about-the-profit-report-two');
    expect(a).not.toBe(b);
    expect(a.length).toBeLessThanOrEqual(24);
    expect(a).toBe(kitchenNameFromBranch('feature/a-very-long-branch-name-about-the-profit-report-one'));
    expect(kitchenNameProblem(a)).toBeUndefined();
  });

  it('should never return a reserved name', () => {
    const name = kitchenNameFromBranch('production');
    expect(name).toMatch(/^k-production-[0-9a-f]{6}$/);
    expect(kitchenNameProblem(name)).toBeUndefined();
  });

  it('fails on an empty branch', () => {
    expect(() => kitchenNameFromBranch('  ')).toThrow('Branch name must not be empty');
  });
});

describe('Names', () => {
  const env = new Names({ project: 'acme', environment: 'dev', account: '222222222222' });
  const kitchen = new Names({ project: 'acme', environment: 'dev', account: '222222222222', kitchen: 'profit-report' });

  it('should derive environment names', () => {
    expect(env.stackName).toBe('acme-dev');
    expect(env.bucketName('landing')).toBe('acme-dev-landing-222222222222');
    expect(env.schema('analytics')).toBe('analytics');
    expect(env.dataPrefix).toBe('');
    expect(env.secretName('apps/partner-api')).toBe('acme/dev/apps/partner-api');
    expect(env.parameterName('vpc/id')).toBe('/acme/dev/vpc/id');
  });

  it('should derive Kitchen names from the Kitchen name', () => {
    expect(kitchen.stackName).toBe('acme-dev-kitchen-profit-report');
    expect(kitchen.schema('analytics')).toBe('k_profit_report');
    expect(kitchen.databaseUser).toBe('k_profit_report_user');
    expect(kitchen.dataPrefix).toBe('kitchens/profit-report/');
    expect(kitchen.sftpUserName).toBe('k-profit-report');
    expect(kitchen.stateMachineName('orders')).toBe('acme-dev-profit-report-orders');
    expect(kitchen.secretName('warehouse')).toBe('acme/dev/kitchens/profit-report/warehouse');
    expect(kitchen.topicName()).toBe('acme-dev-profit-report-alerts');
    expect(kitchen.roleName('staff')).toBe('acme-dev-profit-report-staff');
  });

  it('should stay within every service limit for the longest names', () => {
    const longest = new Names({
      project: 'a'.repeat(12),
      environment: 'b'.repeat(10),
      account: '222222222222',
      kitchen: 'c'.repeat(24),
    });
    expect(longest.roleName('staff').length).toBeLessThanOrEqual(64);
    expect(longest.stateMachineName('d'.repeat(30)).length).toBeLessThanOrEqual(80);
    expect(longest.stackName.length).toBeLessThanOrEqual(128);
    expect(
      new Names({ project: 'a'.repeat(12), environment: 'b'.repeat(10), account: '222222222222' }).bucketName('curated')
        .length,
    ).toBeLessThanOrEqual(63);
  });

  it('fails when a derived name would break a service limit', () => {
    const longest = new Names({
      project: 'a'.repeat(12),
      environment: 'b'.repeat(10),
      account: '222222222222',
      kitchen: 'c'.repeat(24),
    });
    expect(() => longest.stateMachineName('d'.repeat(40))).toThrow(
      /State machine name ".*" is 89 characters; the limit is 80/,
    );
    expect(() => env.databaseUser).toThrow('Only a Kitchen has its own database user');
  });
});

describe('pascal', () => {
  it('should turn names into construct ids', () => {
    expect(pascal('partner-api')).toBe('PartnerApi');
    expect(pascal('orders')).toBe('Orders');
    expect(pascal('land_to-raw2')).toBe('LandToRaw2');
  });
});

describe('partitionOf', () => {
  it('should give each region family its partition', () => {
    expect(
      ['eu-west-1', 'cn-north-1', 'us-gov-west-1', 'us-iso-east-1', 'us-isob-east-1'].map(partitionOf),
    ).toStrictEqual(['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b']);
  });

  it('should write the clone roles of environments in China with the aws-cn partition', () => {
    const config = exampleConfig();
    const inChina = (name: string) => ({ ...config.environments.find((e) => e.name === name)!, region: 'cn-north-1' });
    const transfer = cloneTransfer(config.project, inChina('production'), inChina('dev'));
    const arns = [transfer.jobRoleArn, transfer.unloadRoleArn, transfer.copyRoleArn, transfer.warehouseRoleArn.source];
    expect(arns.every((arn) => arn.startsWith('arn:aws-cn:iam::'))).toBe(true);
  });
});
