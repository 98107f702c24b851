/**
 * Masking: deny by default. Every column of a cloned table has a strategy declared in the plan, or the plan is
 * refused (planner.ts) and the production job fails (sql.ts, `check_plan`). Name patterns of personal data are only
 * suggestions, used by `kitchen clone plan --init` to write a starter plan a reviewer confirms.
 */
import type { MaskStrategy } from './plan';

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

/**
 * A suggested strategy for one column, for a reviewer to confirm: personal-looking text is hashed (joins keep
 * working), other personal-looking types are nulled (a hash would change their type); the rest is kept.
 */
export function suggestStrategy(column: { readonly name: string; readonly isText: boolean }): SuggestedMasking {
  if (!looksPersonal(column.name)) {
    return { column: column.name, strategy: 'keep', why: 'no personal-data name pattern: confirm' };
  }
  return column.isText
    ? { column: column.name, strategy: 'hash', why: 'looks like personal data' }
    : { column: column.name, strategy: 'null', why: 'looks like personal data (not text)' };
}
