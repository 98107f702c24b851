import * as fs from 'fs';
import * as path from 'path';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { generatePassword, provisionKitchenSecrets } from '../../../lib/clone/secrets';
import { Names } from '../../../lib/naming';

function client(calls: { command: string; secretId?: string }[] = []): SecretsManagerClient {
  const c = new SecretsManagerClient({
    endpoint: process.env.KITCHENS_TEST_MOTO_ENDPOINT,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  c.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { SecretId?: string; Name?: string };
      calls.push({ command: context.commandName!, secretId: input.SecretId ?? input.Name });
      return next(args);
    },
    { step: 'initialize', name: 'recordCalls' },
  );
  return c;
}

describe('Kitchen secrets against moto', () => {
  const admin = client();
  const names = new Names({
    project: 'clonesec',
    environment: 'dev',
    account: '222222222222',
    kitchen: 'profit-report',
  });

  beforeAll(async () => {
    await admin.send(
      new CreateSecretCommand({
        Name: 'clonesec/production/warehouse',
        SecretString: '{"username":"admin","password":"prod-Secret-1"}',
      }),
    );
    await admin.send(
      new CreateSecretCommand({
        Name: 'clonesec/dev/warehouse',
        SecretString: '{"username":"admin","password":"dev-Secret-1"}',
      }),
    );
  });

  it('should create new credentials for the Kitchen and read no secret', async () => {
    const calls: { command: string; secretId?: string }[] = [];
    const results = await provisionKitchenSecrets({
      client: client(calls),
      names,
      roles: ['warehouse', 'partner-api'],
    });
    expect(results.map((r) => `${r.name}:${r.action}`)).toStrictEqual([
      'clonesec/dev/kitchens/profit-report/warehouse:created',
      'clonesec/dev/kitchens/profit-report/partner-api:created',
    ]);
    expect(calls.map((c) => c.command)).toStrictEqual([
      'DescribeSecretCommand',
      'CreateSecretCommand',
      'DescribeSecretCommand',
      'CreateSecretCommand',
    ]);
    expect(calls.every((c) => c.secretId?.startsWith('clonesec/dev/kitchens/profit-report/'))).toBe(true);
    // The test (not the cloner) reads the new secret to check it.
    const value = await admin.send(
      new GetSecretValueCommand({ SecretId: 'clonesec/dev/kitchens/profit-report/warehouse' }),
    );
    const secret = JSON.parse(value.SecretString!);
    expect(secret.username).toBe('k_profit_report_user');
    expect(secret.password).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(secret.password).not.toBe('prod-Secret-1');
    const described = await admin.send(
      new DescribeSecretCommand({ SecretId: 'clonesec/dev/kitchens/profit-report/warehouse' }),
    );
    expect(described.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'kitchens:kitchen', Value: 'profit-report' },
        { Key: 'kitchens:environment', Value: 'dev' },
      ]),
    );
  });

  it('should keep existing Kitchen secrets on a re-run', async () => {
    const calls: { command: string; secretId?: string }[] = [];
    const results = await provisionKitchenSecrets({ client: client(calls), names });
    expect(results.map((r) => r.action)).toStrictEqual(['exists']);
    expect(calls.map((c) => c.command)).toStrictEqual(['DescribeSecretCommand']);
  });

  it('should have no code path that reads a secret value', () => {
    const source = fs.readFileSync(path.join(__dirname, '../../../lib/clone/secrets.ts'), 'utf8');
    expect(source).not.toMatch(/GetSecretValue|BatchGetSecretValue|ListSecrets/);
  });

  it('fails when given the names of an environment instead of a Kitchen', async () => {
    const envNames = new Names({ project: 'clonesec', environment: 'production', account: '111111111111' });
    await expect(provisionKitchenSecrets({ client: client(), names: envNames })).rejects.toThrow(
      'Kitchen secrets need the names of a Kitchen, got the names of an environment',
    );
  });

  it('should generate passwords with upper, lower and digits', () => {
    for (let i = 0; i < 50; i++) {
      const p = generatePassword();
      expect(p).toMatch(/[A-Z]/);
      expect(p).toMatch(/[a-z]/);
      expect(p).toMatch(/[0-9]/);
    }
  });
});
