/**
 * Every bad argument of the Kitchen commands is refused with exit code 2 and one exact message, before any AWS
 * call: AWS_ENDPOINT_URL points at a closed port, so a call would fail with exit code 3 instead.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runRemote } from '../../lib/cli/commands/run-remote';
import { Output } from '../../lib/cli/output';
import { BUNDLED_CONFIG, kitchen } from './support/cli';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kitchens-args-'));
const PRIVATE_KEY = path.join(dir, 'id_ed25519');
const NOT_A_KEY = path.join(dir, 'notes.txt');
const MISSING_KEY = path.join(dir, 'missing.pub');
fs.writeFileSync(
  PRIVATE_KEY,
  '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n',
);
fs.writeFileSync(NOT_A_KEY, 'hello\n');
const FIFO_KEY = path.join(dir, 'key.fifo');
execFileSync('mkfifo', [FIFO_KEY]);
const HUGE_KEY = path.join(dir, 'huge.pub');
fs.writeFileSync(HUGE_KEY, `ssh-ed25519 ${'A'.repeat(20_000)}\n`);

let savedEndpoint: string | undefined;
const savedIsTTY = process.stdin.isTTY;
beforeAll(() => {
  savedEndpoint = process.env.AWS_ENDPOINT_URL;
  process.env.AWS_ENDPOINT_URL = 'http://127.0.0.1:9';
  // As in CI, whether or not the suite runs in a terminal.
  process.stdin.isTTY = false;
});
afterAll(() => {
  process.stdin.isTTY = savedIsTTY;
  if (savedEndpoint === undefined) delete process.env.AWS_ENDPOINT_URL;
  else process.env.AWS_ENDPOINT_URL = savedEndpoint;
  fs.rmSync(dir, { recursive: true, force: true });
});

const cases: readonly (readonly [string, readonly string[], string])[] = [
  [
    'a Kitchen name with capitals and underscores',
    ['create', 'Profit_Report'],
    'Kitchen name "Profit_Report" must be lowercase letters, digits and single hyphens, start with a letter and not end with a hyphen (for example "profit-report")',
  ],
  ['a Kitchen name that is too short', ['create', 'ab'], 'Kitchen name "ab" must be 3 to 24 characters long, got 2'],
  [
    'a Kitchen name starting with "pg-"',
    ['create', 'pg-stats'],
    'Kitchen name "pg-stats" is reserved: names starting with "pg" collide with warehouse system schemas',
  ],
  [
    '--env naming production',
    ['create', 'profit-report', '--env', 'production'],
    '--env must name an environment that allows Kitchens (dev), got: "production"',
  ],
  [
    '--env naming no environment',
    ['create', 'profit-report', '--env', 'qa'],
    '--env must name an environment that allows Kitchens (dev), got: "qa"',
  ],
  [
    '--from naming the Kitchen itself',
    ['create', 'profit-report', '--from', 'profit-report'],
    '--from must name another Kitchen or an environment, not the Kitchen itself, got: "profit-report"',
  ],
  [
    '--from naming neither an environment nor a Kitchen',
    ['create', 'profit-report', '--from', 'Main_Line'],
    '--from must name an environment (production, dev) or a valid Kitchen name, got: "Main_Line"',
  ],
  [
    '--staff that is not an ARN',
    ['create', 'profit-report', '--staff', 'alice'],
    '--staff must be an IAM user or role ARN such as "arn:aws:iam::123456789012:role/NAME", got: "alice"',
  ],
  [
    '--staff of another account',
    [
      'create',
      'profit-report',
      '--staff',
      'arn:aws:iam::222222222222:user/alice,arn:aws:iam::111111111111:role/analyst',
    ],
    '--staff must be a principal of account 222222222222 (environment dev), got: "arn:aws:iam::111111111111:role/analyst"',
  ],
  [
    '--staff trusting the account root',
    ['create', 'profit-report', '--staff', 'arn:aws:iam::222222222222:root'],
    '--staff must name one IAM user or role, not the account root: the root principal trusts every principal of the account, got: "arn:aws:iam::222222222222:root"',
  ],
  [
    '--staff with a wildcard',
    ['create', 'profit-report', '--staff', 'arn:aws:iam::222222222222:role/analyst-*'],
    '--staff must name one IAM user or role: wildcards would let every matching principal assume the staff role, got: "arn:aws:iam::222222222222:role/analyst-*"',
  ],
  [
    'a Kitchen name that collides with the project’s own names',
    ['create', 'clone'],
    'Kitchen name "clone" is reserved: names starting with "clone" collide with the environment\'s own resource names; the reserved first words are: alerts, apps, clone, containers, curated, data, deployment, export, kitchen, kitchens, landing, logs, object, pipeline, raw, sftp, slack, vault, vpc, warehouse',
  ],
  [
    '--staff with no ARN at all',
    ['create', 'profit-report', '--staff', ' , '],
    '--staff must be a comma-separated list of IAM user or role ARNs, got: " , "',
  ],
  [
    '--ttl in words',
    ['create', 'profit-report', '--ttl', '3 days'],
    '--ttl must be a whole number of hours or days such as 72h or 3d, got: "3 days"',
  ],
  [
    '--ttl in minutes',
    ['create', 'profit-report', '--ttl', '90m'],
    '--ttl must be a whole number of hours or days such as 72h or 3d, got: "90m"',
  ],
  ['--ttl of zero', ['create', 'profit-report', '--ttl', '0h'], '--ttl must be at least 1h, got: "0h"'],
  [
    '--ttl beyond kitchens.maxTtlHours',
    ['create', 'profit-report', '--ttl', '15d'],
    '--ttl must be at most 336h (kitchens.maxTtlHours of environment dev), got: "15d" (360h)',
  ],
  [
    '--ssh-key of a missing file',
    ['create', 'profit-report', '--ssh-key', MISSING_KEY],
    `--ssh-key must be a readable file holding an OpenSSH public key (it does not exist), got: ${JSON.stringify(MISSING_KEY)}`,
  ],
  [
    '--ssh-key of /dev/zero (an endless device: refused, not read)',
    ['create', 'profit-report', '--ssh-key', '/dev/zero'],
    '--ssh-key must be a readable file holding an OpenSSH public key (it is a character device, not a regular file), got: "/dev/zero"',
  ],
  [
    '--ssh-key of a named pipe nobody writes to',
    ['create', 'profit-report', '--ssh-key', FIFO_KEY],
    `--ssh-key must be a readable file holding an OpenSSH public key (it is a named pipe (FIFO), not a regular file), got: ${JSON.stringify(FIFO_KEY)}`,
  ],
  [
    '--ssh-key of a file larger than any public key',
    ['create', 'profit-report', '--ssh-key', HUGE_KEY],
    `--ssh-key must be a readable file holding an OpenSSH public key (it is larger than 16 KiB (20 KiB)), got: ${JSON.stringify(HUGE_KEY)}`,
  ],
  [
    '--ssh-key of a directory',
    ['create', 'profit-report', '--ssh-key', dir],
    `--ssh-key must be a readable file holding an OpenSSH public key (it is a directory, not a regular file), got: ${JSON.stringify(dir)}`,
  ],
  [
    '--ssh-key of a private key',
    ['create', 'profit-report', '--ssh-key', PRIVATE_KEY],
    `--ssh-key must be a public key file (such as ~/.ssh/id_ed25519.pub), not a private key, got: ${JSON.stringify(PRIVATE_KEY)}`,
  ],
  [
    '--ssh-key of a file that holds no key',
    ['create', 'profit-report', '--ssh-key', NOT_A_KEY],
    `--ssh-key must hold exactly one OpenSSH public key ("ssh-ed25519 AAAA... comment" or ssh-rsa, ecdsa-sha2-nistp256/384/521), got: ${JSON.stringify(NOT_A_KEY)}`,
  ],
  [
    '--slack-channel that is a channel name',
    ['create', 'profit-report', '--slack-channel', '#data-team'],
    '--slack-channel must be a Slack channel id such as "C07ABCDEF12" (9-11 capitals and digits), got: "#data-team"',
  ],
  [
    '--owner with a space',
    ['create', 'profit-report', '--owner', 'Bob Smith'],
    '--owner must be 1-64 letters, digits or "_.@+-" (a user name or e-mail), got: "Bob Smith"',
  ],
  [
    '--profile with a space',
    ['create', 'profit-report', '--profile', 'my profile'],
    '--profile must be an AWS profile name (letters, digits and "_.@+/:-", no spaces), got: "my profile"',
  ],
  [
    '--region that is no region',
    ['create', 'profit-report', '--region', 'mars'],
    '--region must be an AWS region such as "eu-west-1", got: "mars"',
  ],
  [
    "--region other than the environment's on create",
    ['create', 'profit-report', '--region', 'eu-central-1'],
    '--region must be eu-west-1, the region of environment dev where its Kitchens are deployed, got: "eu-central-1"',
  ],
  [
    "--region other than the environment's on delete",
    ['delete', 'profit-report', '--yes', '--region', 'us-east-1'],
    '--region must be eu-west-1, the region of environment dev where its Kitchens are deployed, got: "us-east-1"',
  ],
  [
    'delete without --yes when stdin is not a terminal',
    ['delete', 'profit-report'],
    'kitchen delete: refusing to delete Kitchen profit-report without --yes: stdin is not a terminal, so there is nobody to confirm',
  ],
  [
    'delete of a reserved name',
    ['delete', 'production', '--yes'],
    'Kitchen name "production" is reserved; reserved names are: admin, analytics, aws, default, dev, development, information-schema, kitchen, kitchens, main, master, prod, production, public, root, shared, stage, staging, test',
  ],
  ['status of an invalid name', ['status', 'x'], 'Kitchen name "x" must be 3 to 24 characters long, got 1'],
  [
    'status with a bad --region',
    ['status', 'profit-report', '--region', 'EU-WEST-1'],
    '--region must be an AWS region such as "eu-west-1", got: "EU-WEST-1"',
  ],
  [
    'list with --env production',
    ['list', '--env', 'production'],
    '--env must name an environment that allows Kitchens (dev), got: "production"',
  ],
  [
    'list with a bad --profile',
    ['list', '--profile', ''],
    '--profile must be an AWS profile name (letters, digits and "_.@+/:-", no spaces), got: ""',
  ],
];

describe('Kitchen command arguments', () => {
  it.each(cases)('fails on %s', async (_case, args, message) => {
    const run = await kitchen(args);
    expect(run.stderr).toBe(`error: ${message}\n`);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
  });

  it.each([
    [
      'a YAML alias bomb',
      'bomb.yaml',
      'invalid YAML: its aliases (*name) expand more than 100 times, which is refused as a resource exhaustion attack',
    ],
    ['a directory', '.', 'the config file is a directory, not a regular file'],
    ['/dev/zero', '/dev/zero', 'the config file is a character device, not a regular file'],
  ])('fails with exit 2 (bad input, not 3) on %s as --config, naming the file', async (_what, name, message) => {
    const bomb = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++)
      bomb.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    fs.writeFileSync(path.join(dir, 'bomb.yaml'), `${bomb.join('\n')}\n`);
    const config = path.resolve(dir, name);
    const run = await kitchen(['create', 'profit-report', '--dry-run'], config);
    expect(run.stderr).toBe(
      `error: ${config}: ${message}${message.startsWith('the config file') ? '; give the path of a kitchens.config.yaml file' : '; write the values out instead'}\n`,
    );
    expect(run.code).toBe(2);
  });

  it('fails when create is given no name', async () => {
    const run = await kitchen(['create']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error: missing required argument 'name'");
  });
});

describe('remote run arguments', () => {
  const remote = (pipeline: string, opts: Record<string, unknown>) =>
    runRemote(new Output({}), BUNDLED_CONFIG, pipeline, opts, {
      write: () => true,
    } as unknown as NodeJS.WritableStream);

  it('fails when the pipeline id is not an id', async () => {
    await expect(remote('Orders!', { kitchen: 'profit-report' })).rejects.toThrow(
      'PIPELINE must be a pipeline id: lowercase letters, digits and single hyphens, starting with a letter, at most 30 characters, got: "Orders!"',
    );
  });

  it('fails when neither --kitchen nor --local is given', async () => {
    await expect(remote('orders', {})).rejects.toThrow(
      'kitchen run: give --kitchen NAME to run on AWS, or --local to run on this machine',
    );
  });

  it('fails when --kitchen is not a valid name', async () => {
    await expect(remote('orders', { kitchen: 'Profit' })).rejects.toThrow(
      'Kitchen name "Profit" must be lowercase letters, digits and single hyphens, start with a letter and not end with a hyphen (for example "profit-report")',
    );
  });
});
