/**
 * The scan of kept free text: at publish, inside the warehouse, every column a plan keeps as it is and whose type
 * holds text (varchar, char, text, citext, json, jsonb) is counted against personal-data patterns: email, phone,
 * card numbers (a run of 13 to 19 digits that passes the Luhn check) and patterns the plan adds. A hit fails the run
 * with table.column and the count per pattern, never a value, unless the plan marks the column reviewed with a
 * reason. Patterns are POSIX regular expressions (both engines' `~`), written without backslashes.
 */
import type { Dialect } from './executor';

export interface TextPattern {
  /** Shown in the failure: `notes.body: email 3`. */
  readonly name: string;
  /** A POSIX extended regular expression, without backslashes (use [.] for a literal dot). */
  readonly regex: string;
}

/** The built-in patterns besides card numbers (which also need the Luhn check). */
export const BUILT_IN_PATTERNS: readonly (TextPattern & { readonly requires: string })[] = [
  {
    name: 'email',
    requires: 'at_sign > 0',
    regex: '[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+([.][A-Za-z0-9-]+)*[.][A-Za-z]{2,}',
  },
  {
    name: 'phone',
    requires: 'digits >= 8',
    // International (+44 20 7000 1234, +447700900123) or grouped with a separator (020 7946 0958, (020) 7946-0958);
    // a bare run of digits is not a phone number here (ids, amounts and hashes are).
    regex:
      '(^|[^0-9])([+][0-9]{1,3}[ .-]?([(][0-9]{1,5}[)][ .-]?|[0-9]{1,5}[ .-]?)[0-9]{3,4}[ .-]?[0-9]{3,4}|' +
      '[(]?[0-9]{2,5}[)]?[ .-][0-9]{3,4}[ .-]?[0-9]{3,4})($|[^0-9])',
  },
];

/** A candidate card number: a digit, then digits, spaces or hyphens, then a digit. */
const CARD_CANDIDATE = '[0-9][0-9 -]{11,22}[0-9]';
/** Candidates checked per value (the first three runs of digits that look like a card number). */
const CARD_OCCURRENCES = 3;
const MAX_CARD_DIGITS = 19;

/**
 * SQL that is true when the candidate number `n` (digits only) has 13 to 19 digits and passes the Luhn check: from
 * the right, every second digit doubled (minus 9 above 9), the sum a multiple of 10.
 */
function luhn(n: string): string {
  const r = `reverse(${n})`;
  const terms = Array.from({ length: MAX_CARD_DIGITS }, (_, k) => {
    const i = k + 1;
    const digit = `CAST(substr(${r}, ${i}, 1) AS INTEGER)`;
    const value = i % 2 === 1 ? digit : `(2 * ${digit} - CASE WHEN ${digit} >= 5 THEN 9 ELSE 0 END)`;
    return `CASE WHEN length(${n}) >= ${i} THEN ${value} ELSE 0 END`;
  });
  return `(length(${n}) BETWEEN 13 AND ${MAX_CARD_DIGITS} AND (${terms.join(' + ')}) % 10 = 0)`;
}

/**
 * The scanned relation around `inner` (a SELECT of one text column `v`): `v` and its first card candidates
 * `n1`..`n3`, digits only, computed once per value, and only for values that hold a candidate at all (a cheap match
 * first; the Luhn sums then read columns instead of re-running the regular expression in every term).
 */
export function scanFrom(inner: string): string {
  const candidates = Array.from(
    { length: CARD_OCCURRENCES },
    (_, k) =>
      `CASE WHEN digits >= 13 THEN CASE WHEN v ~ '${CARD_CANDIDATE}' THEN translate(COALESCE(regexp_substr(v, '${CARD_CANDIDATE}', 1, ${k + 1}), ''), ' -', '') ELSE '' END ELSE '' END AS n${k + 1}`,
  );
  // Cheap counts first: a pattern's regular expression runs only on values that can hold it (an "@" for an email,
  // 8 digits for a phone number, 13 for a card).
  const counted = `SELECT v, strpos(v, '@') AS at_sign, length(v) - length(translate(v, '0123456789', '')) AS digits FROM (${inner}) AS z`;
  return `(SELECT v, at_sign, digits, ${candidates.join(', ')} FROM (${counted}) AS y) AS x`;
}

/** SQL true when a row of {@link scanFrom} holds a card number (one of its first candidates passes Luhn). */
export function cardCondition(): string {
  return Array.from({ length: CARD_OCCURRENCES }, (_, k) => luhn(`n${k + 1}`)).join(' OR ');
}

/** The names of the counts, in order: email, phone, card, then the plan's patterns. */
export function patternNames(extra: readonly TextPattern[]): string[] {
  return [...BUILT_IN_PATTERNS.map((p) => p.name), 'card', ...extra.map((p) => p.name)];
}

/**
 * The SELECT list counting, over {@link scanFrom}, the values that match each pattern (named c0, c1, ... in
 * {@link patternNames} order).
 */
export function countsSelect(extra: readonly TextPattern[]): string {
  const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const counts = [
    ...BUILT_IN_PATTERNS.map(
      (p) => `count(CASE WHEN ${p.requires} THEN CASE WHEN v ~ ${quote(p.regex)} THEN 1 END END)`,
    ),
    ...extra.map((p) => `count(CASE WHEN v ~ ${quote(p.regex)} THEN 1 END)`),
  ];
  counts.splice(BUILT_IN_PATTERNS.length, 0, `count(CASE WHEN ${cardCondition()} THEN 1 END)`);
  return counts.map((c, i) => `${c} AS c${i}`).join(', ');
}

/** A column's value as text for the scan. */
export function scannedText(column: string, dialect: Dialect): string {
  return dialect === 'redshift' ? `CAST(${column} AS VARCHAR(65535))` : `CAST(${column} AS text)`;
}
