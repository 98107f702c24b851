/**
 * Masking: deny by default. Every column of a cloned table has a strategy declared in the plan, or the plan is
 * refused (planner.ts) and the production job fails (sql.ts, `check_plan`). Name patterns of personal data are only
 * suggestions, used by `kitchen clone plan --init` to write a starter plan a reviewer confirms.
 */
import type { MaskStrategy } from './plan';
import { REDSHIFT_MAX_HASH_INPUT } from './types';

/** Name fragments of personal data, matched against the lowercase column name (substring matches on purpose). */
export const PERSONAL_DATA_PATTERNS: readonly RegExp[] = [
  /e_?mail/,
  /phone|mobile|msisdn|fax|(^|_)tel(ephone)?(_|$)/,
  /name/,
  /addr|street|post_?code|postal|zip|city|town|county/,
  /ssn|(^|_)sin(_|$)|nino|national|passport|tax_?id|(^|_)tin(_|$)|iban|bic|swift|card|(^|_)pan(_|$)|account|bank|sort_?code/,
  /birth|dob|(^|_)age(_|$)/,
  /(^|_)ip(_|$)|ip_?addr|ipv[46]|mac_?addr|device|imei|user_?agent|cookie/,
  /password|passwd|secret|token|credential/,
  /latitude|longitude|(^|_)(lat|lon|lng|geo)(_|$)|location/,
  /medical|health|diagnos|gender|sex|ethnic|religio|salary|note|comment|free_?text/,
];

export function looksPersonal(column: string): boolean {
  const name = column.toLowerCase();
  return PERSONAL_DATA_PATTERNS.some((p) => p.test(name));
}

export interface ColumnMasking {
  readonly column: string;
  readonly strategy: MaskStrategy;
}

export interface SuggestedMasking extends ColumnMasking {
  readonly why: string;
}

/** Types whose values can hold anything (documents, binary): a starter plan nulls them. */
const OPAQUE_TYPES = /^(json|jsonb|bytea|xml|varbyte|super|hllsketch|geometry|geography)$/;
/** Text longer than a short label: free text can hold anything a person typed. */
const FREE_TEXT_LENGTH = 255;

/** Whether a column's type is free text: text, citext, varchar without a limit, or longer than 255 characters. */
export function isFreeText(type: string | undefined): boolean {
  if (type === undefined) return false;
  if (/^(text|citext|varchar)$/.test(type)) return true;
  const m = /^varchar\(([0-9]+)\)$/.exec(type);
  return m !== null && Number(m[1]) > FREE_TEXT_LENGTH;
}

/**
 * A suggested strategy for one column, for a reviewer to confirm:
 *  - email-like names of any text type (citext included) are hashed (joins keep working);
 *  - documents and binary (json, jsonb, bytea, ...) are nulled: they can hold anything;
 *  - free text is hashed when its name looks personal and redacted otherwise (keep it only after review, marking the
 *    column reviewed with a reason: kept text is scanned at publish);
 *  - other personal-looking text is hashed, other personal-looking types nulled (a hash would change their type);
 *  - the rest is kept.
 */
export function suggestStrategy(column: {
  readonly name: string;
  readonly isText: boolean;
  readonly type?: string;
}): SuggestedMasking {
  const name = column.name.toLowerCase();
  if (column.isText && PERSONAL_DATA_PATTERNS[0].test(name)) {
    return { column: column.name, strategy: 'hash', why: 'looks like an email address' };
  }
  if (column.type !== undefined && OPAQUE_TYPES.test(column.type)) {
    return { column: column.name, strategy: 'null', why: 'documents and binary can hold anything' };
  }
  if (column.isText && isFreeText(column.type)) {
    const length = /^varchar\(([0-9]+)\)$/.exec(column.type ?? '');
    // Redshift hashes at most varchar(65471) whole (types.ts): longer free text is redacted.
    const hashable = length === null || Number(length[1]) <= REDSHIFT_MAX_HASH_INPUT;
    return looksPersonal(column.name) && hashable
      ? { column: column.name, strategy: 'hash', why: 'free text that looks like personal data' }
      : { column: column.name, strategy: 'redact', why: 'free text can hold personal data: keep only after review' };
  }
  if (!looksPersonal(column.name)) {
    return { column: column.name, strategy: 'keep', why: 'no personal-data name pattern: confirm' };
  }
  return column.isText
    ? { column: column.name, strategy: 'hash', why: 'looks like personal data' }
    : { column: column.name, strategy: 'null', why: 'looks like personal data (not text)' };
}
