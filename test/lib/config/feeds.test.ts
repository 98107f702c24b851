/**
 * The `feeds:` section: each feed's name, confined prefix, window and environments, with errors that name the file,
 * the field, the value and what is allowed. Generated cases (fast-check) cover windows and prefixes.
 */
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { parse } from 'yaml';
import {
  FEED_PREFIX_PATTERN,
  feedWindowSeconds,
  MAX_FEED_WINDOW_SECONDS,
  MIN_FEED_WINDOW_SECONDS,
  parseConfig,
} from '../../../lib/config';
import { EXAMPLE_CONFIG, exampleConfigProblems as problems } from '../../support/app';

const FILE = path.relative(process.cwd(), EXAMPLE_CONFIG);
const WINDOW_ALLOWED =
  'must be a window of whole minutes, hours or days such as "1h", "24h" or "7d", from 5 minutes to 7 days ' +
  '(604800 seconds: the longest period x evaluation periods a CloudWatch alarm evaluates; a longer window cannot be alarmed on)';
const PREFIX_ALLOWED =
  'must be a key prefix in the landing bucket such as "sftp/partner-globex/orders/": 1-512 letters, digits and ' +
  `"!-_.'()/", relative (not starting with "/"), without "." or ".." segments or "//", not under "kitchens/"`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a raw YAML document, edited freely by each case
function example(): any {
  return parse(fs.readFileSync(EXAMPLE_CONFIG, 'utf8'));
}

function withFeed(feed: Record<string, unknown>): unknown {
  const raw = example();
  raw.feeds = [feed];
  return raw;
}

const ORDERS = { name: 'orders', prefix: 'sftp/partner-globex/orders/', every: '24h' };

describe('the bundled feeds', () => {
  it('should declare the SFTP orders feed, enabled in production only', () => {
    const config = parseConfig(example(), EXAMPLE_CONFIG);
    const feeds = Object.fromEntries(config.environments.map((e) => [e.name, e.feeds]));
    expect(feeds.production).toStrictEqual([
      { name: 'orders', prefix: 'sftp/partner-globex/orders/', every: '24h', windowSeconds: 86_400, enabled: true },
    ]);
    expect(feeds.dev).toStrictEqual([
      { name: 'orders', prefix: 'sftp/partner-globex/orders/', every: '24h', windowSeconds: 86_400, enabled: false },
    ]);
    expect(config.divergence).toContain('feeds');
  });

  it('should enable a feed in production by default', () => {
    const config = parseConfig(withFeed(ORDERS), EXAMPLE_CONFIG);
    expect(config.environments.map((e) => [e.name, e.feeds?.[0].enabled])).toStrictEqual([
      ['production', true],
      ['dev', false],
    ]);
  });

  it('should enable a feed where enabledIn says, dev included', () => {
    const raw = withFeed({ ...ORDERS, enabledIn: ['production', 'dev'] }) as { alignment: { divergence: string[] } };
    raw.alignment.divergence = raw.alignment.divergence.filter((f) => f !== 'feeds');
    const config = parseConfig(raw, EXAMPLE_CONFIG);
    expect(config.environments.map((e) => e.feeds?.[0].enabled)).toStrictEqual([true, true]);
  });
});

describe('bad feeds', () => {
  it('fails on a window longer than CloudWatch evaluates, naming the limit', () => {
    expect(problems(withFeed({ ...ORDERS, every: '8d' }))).toStrictEqual([
      `${FILE}: feeds[0].every ${WINDOW_ALLOWED}, got: "8d"`,
    ]);
  });

  it('fails on a window shorter than 5 minutes or not a window', () => {
    expect(problems(withFeed({ ...ORDERS, every: '4m' }))).toStrictEqual([
      `${FILE}: feeds[0].every ${WINDOW_ALLOWED}, got: "4m"`,
    ]);
    expect(problems(withFeed({ ...ORDERS, every: 'daily' }))).toStrictEqual([
      `${FILE}: feeds[0].every ${WINDOW_ALLOWED}, got: "daily"`,
    ]);
    expect(problems(withFeed({ ...ORDERS, every: 24 }))).toStrictEqual([
      `${FILE}: feeds[0].every ${WINDOW_ALLOWED}, got: 24`,
    ]);
  });

  it.each([
    ['/sftp/orders/', 'absolute'],
    ['../raw/', 'leaves the bucket root'],
    ['sftp/../../etc/', 'a ".." segment'],
    ['sftp/./orders/', 'a "." segment'],
    ['sftp//orders/', 'an empty segment'],
    ['kitchens/profit-report/', "a Kitchen's prefix"],
    ['sftp/orders*/', 'a wildcard'],
    ['', 'empty'],
  ])('fails on a prefix that is not confined to the landing bucket: %s (%s)', (prefix) => {
    expect(problems(withFeed({ ...ORDERS, prefix }))).toStrictEqual([
      `${FILE}: feeds[0].prefix ${PREFIX_ALLOWED}, got: ${JSON.stringify(prefix)}`,
    ]);
  });

  it('fails on a duplicate name and an unknown environment', () => {
    const raw = example();
    raw.feeds = [ORDERS, { ...ORDERS, prefix: 'sftp/other/', enabledIn: ['prod'] }];
    expect(problems(raw)).toStrictEqual([
      `${FILE}: feeds[1].name must be unique, got a second "orders"`,
      `${FILE}: feeds[1].enabledIn[0] must name an environment of this file (production, dev), got: "prod"`,
    ]);
  });

  it('fails on an unknown key and lists the allowed ones', () => {
    expect(problems(withFeed({ ...ORDERS, window: '1h' }))).toStrictEqual([
      `${FILE}: feeds[0].window is not a known setting; allowed here: name, prefix, every, enabledIn`,
    ]);
  });

  it('fails on a feed enabled in dev only without declaring the feeds divergence', () => {
    const raw = withFeed({ ...ORDERS, enabledIn: ['dev'] }) as { alignment: { divergence: string[] } };
    raw.alignment.divergence = raw.alignment.divergence.filter((f) => f !== 'feeds');
    expect(problems(raw)).toStrictEqual([
      `${FILE}: the feeds enabled in environment dev (feeds[].enabledIn) are ["orders"] but in production (production) []; development may differ from ` +
        'production only in fields listed under alignment.divergence (add "feeds" there to declare it)',
    ]);
  });
});

describe('generated feeds (fast-check)', () => {
  const units = { m: 60, h: 3600, d: 86_400 } as const;

  it('should accept every window from 5 minutes to 7 days and refuse every other, with the same message', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('m', 'h', 'd'), (n, unit) => {
        const every = `${n}${unit}`;
        const seconds = n * units[unit as keyof typeof units];
        expect(feedWindowSeconds(every)).toBe(seconds);
        const ok = seconds >= MIN_FEED_WINDOW_SECONDS && seconds <= MAX_FEED_WINDOW_SECONDS;
        const raw = withFeed({ ...ORDERS, every });
        if (ok) {
          const config = parseConfig(raw, EXAMPLE_CONFIG);
          expect(config.environments[0].feeds?.[0].windowSeconds).toBe(seconds);
        } else {
          expect(problems(raw)).toStrictEqual([`${FILE}: feeds[0].every ${WINDOW_ALLOWED}, got: "${every}"`]);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('should refuse any text that is not a window, naming it', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 12 }).filter((s) => !/^[1-9][0-9]{0,6}[mhd]$/.test(s)),
        (every) => {
          expect(feedWindowSeconds(every)).toBeUndefined();
          expect(problems(withFeed({ ...ORDERS, every }))).toStrictEqual([
            `${FILE}: feeds[0].every ${WINDOW_ALLOWED}, got: ${JSON.stringify(every)}`,
          ]);
        },
      ),
      { numRuns: 100 },
    );
  });

  const segment = fc.stringMatching(/^[A-Za-z0-9!_.'()-]{1,12}$/).filter((s) => s !== '.' && s !== '..');
  const confined = fc
    .tuple(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.boolean())
    .map(([parts, slash]) => parts.join('/') + (slash ? '/' : ''))
    .filter((p) => !p.startsWith('kitchens/'));

  it('should accept every relative prefix of safe segments, and keep it as written', () => {
    fc.assert(
      fc.property(confined, (prefix) => {
        const config = parseConfig(withFeed({ ...ORDERS, prefix }), EXAMPLE_CONFIG);
        expect(config.environments[0].feeds?.[0].prefix).toBe(prefix);
      }),
      { numRuns: 100 },
    );
  });

  it('should refuse every prefix that escapes or leaves the bucket root: "/", "." and ".." segments, "//"', () => {
    const escape = fc.constantFrom('/', '../', './', '//', 'kitchens/');
    fc.assert(
      fc.property(confined, escape, fc.nat({ max: 2 }), (prefix, bad, where) => {
        const segments = prefix.split('/');
        const broken =
          where === 0
            ? bad + prefix
            : where === 1
              ? `${segments[0]}/${bad === '//' ? '/' : bad === 'kitchens/' ? '../' : bad}${segments.slice(1).join('/')}`
              : `${prefix.replace(/\/$/, '')}/${bad === '/' || bad === 'kitchens/' ? '..' : bad.replace(/\/$/, '')}`;
        expect(FEED_PREFIX_PATTERN.test(broken)).toBe(false);
        expect(problems(withFeed({ ...ORDERS, prefix: broken }))).toStrictEqual([
          `${FILE}: feeds[0].prefix ${PREFIX_ALLOWED}, got: ${JSON.stringify(broken)}`,
        ]);
      }),
      { numRuns: 150 },
    );
  });
});
