/**
 * Masking rules. A column is masked with a salted deterministic hash when the plan says so, or by default when its
 * name looks like personal data; `keep` in the plan is the only way to copy such a column as it is.
 */
import type { MaskStrategy } from './plan';

/** Name fragments of personal data, matched against the column name split on "_". */
export const PERSONAL_DATA_PATTERNS: readonly RegExp[] = [
  /(^|_)e?mail(_|$)/,
  /email/,
  /(^|_)(phone|mobile|msisdn|fax|tel|telephone)(_|$)/,
  /(^|_)(first|last|middle|full|given|family|sur|maiden|user|display|contact|customer)_?name(_|$)/,
  /^name$/,
  /(^|_)(surname|firstname|lastname|fullname|username)(_|$)/,
  /(^|_)(address|addr|street|postcode|postal_code|zip|zipcode|city)(_|$)/,
  /(^|_)(ssn|sin|nino|national_id|passport|tax_id|tin|iban|card_number|credit_card|pan|account_number)(_|$)/,
  /(^|_)(birth|birthday|birthdate|dob|date_of_birth)(_|$)/,
  /birth/,
  /(^|_)(ip|ip_address|ipv4|ipv6|mac_address|device_id)(_|$)/,
  /(^|_)(password|secret|token)(_|$)/,
  /(^|_)(latitude|longitude|lat|lon|lng|geo)(_|$)/,
];

export function looksPersonal(column: string, extra: readonly string[] = []): boolean {
  const name = column.toLowerCase();
  return extra.includes(name) || PERSONAL_DATA_PATTERNS.some((p) => p.test(name));
}

export interface ColumnMasking {
  readonly column: string;
  readonly strategy: MaskStrategy;
  /** Why: declared in the plan, or the personal-data default. */
  readonly reason: 'plan' | 'personal-data default' | 'default';
}

/**
 * The strategy of every column of one table, in column order. Personal data defaults to `hash` for text columns
 * (joins on it still work) and to `null` for other types (a hashed date or number would change the column's type).
 */
export function resolveMasking(
  columns: readonly { readonly name: string; readonly isText: boolean }[],
  declared: Readonly<Record<string, MaskStrategy>> = {},
  extraPersonal: readonly string[] = [],
): ColumnMasking[] {
  return columns.map(({ name: column, isText }) => {
    const strategy = declared[column];
    if (strategy !== undefined) {
      return { column, strategy, reason: 'plan' };
    }
    if (!looksPersonal(column, extraPersonal)) {
      return { column, strategy: 'keep', reason: 'default' };
    }
    return { column, strategy: isText ? 'hash' : 'null', reason: 'personal-data default' };
  });
}
