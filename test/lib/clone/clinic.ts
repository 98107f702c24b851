/**
 * A clinic schema the cloner's authors did not shape the cloner around: self-referencing foreign keys
 * (patients.referred_by, prescriptions.refill_of, with chains and a cycle), a composite key (enrol: clinic_code,
 * patient_no) referred to by a composite foreign key whose columns are declared in another order than the key's,
 * nullable keys, and a diamond (visits follow both patients and enrol, which both follow clinics).
 */
export const CLINIC_SCHEMA = `
CREATE SCHEMA clinic;
CREATE TABLE clinic.clinics (clinic_code varchar(8) PRIMARY KEY, city varchar(40) NOT NULL);
CREATE TABLE clinic.patients (
  patient_id integer PRIMARY KEY,
  clinic_code varchar(8) NOT NULL REFERENCES clinic.clinics(clinic_code),
  referred_by integer REFERENCES clinic.patients(patient_id),
  email varchar(200),
  born date
);
CREATE TABLE clinic.enrol (
  patient_no integer NOT NULL,
  clinic_code varchar(8) NOT NULL REFERENCES clinic.clinics(clinic_code),
  enrolled_on date NOT NULL,
  PRIMARY KEY (clinic_code, patient_no)
);
CREATE TABLE clinic.visits (
  visit_id integer PRIMARY KEY,
  patient_id integer NOT NULL REFERENCES clinic.patients(patient_id),
  patient_no integer,
  clinic_code varchar(8),
  seen_on date NOT NULL,
  FOREIGN KEY (patient_no, clinic_code) REFERENCES clinic.enrol(patient_no, clinic_code) MATCH SIMPLE
);
CREATE TABLE clinic.prescriptions (
  rx_id integer PRIMARY KEY,
  visit_id integer NOT NULL REFERENCES clinic.visits(visit_id),
  refill_of integer REFERENCES clinic.prescriptions(rx_id),
  drug varchar(40) NOT NULL
);
INSERT INTO clinic.clinics SELECT 'C' || g, 'City ' || g FROM generate_series(1, 20) g;
-- Patients 1..2000; every patient but the first 50 was referred by an earlier one (chains up to the first 50),
-- and 1990..2000 refer to each other in a cycle (2000 -> 1990 -> 1991 -> ... -> 2000).
INSERT INTO clinic.patients
SELECT g, 'C' || (1 + g % 20), NULL, 'p' || g || '@example.com', DATE '1950-01-01' + (g * 13) % 20000
FROM generate_series(1, 2000) g;
UPDATE clinic.patients SET referred_by = 1 + (patient_id * 7) % (patient_id - 1) WHERE patient_id > 50 AND patient_id < 1990;
UPDATE clinic.patients SET referred_by = CASE WHEN patient_id = 2000 THEN 1990 ELSE patient_id + 1 END WHERE patient_id >= 1990;
-- Enrolments: 4,000 (clinic, patient number) pairs.
INSERT INTO clinic.enrol SELECT 1 + g / 20, 'C' || (1 + g % 20), DATE '2020-01-01' + g % 1000 FROM generate_series(0, 3999) g;
-- Visits: 4,000; every fifth has no enrolment (nullable composite key).
INSERT INTO clinic.visits
SELECT g, 1 + (g * 37) % 2000, CASE WHEN g % 5 = 0 THEN NULL ELSE 1 + ((g * 11) % 4000) / 20 END,
       CASE WHEN g % 5 = 0 THEN NULL ELSE 'C' || (1 + ((g * 11) % 4000) % 20) END, DATE '2024-01-01' + g % 365
FROM generate_series(1, 4000) g;
-- Prescriptions: 4,000; half are refills of an earlier prescription (chains), the last ten form a cycle.
INSERT INTO clinic.prescriptions SELECT g, 1 + (g * 13) % 4000, NULL, 'drug ' || (g % 90) FROM generate_series(1, 4000) g;
UPDATE clinic.prescriptions SET refill_of = rx_id - 1 - (rx_id * 3) % least(rx_id - 1, 40) WHERE rx_id % 2 = 0 AND rx_id > 2 AND rx_id < 3990;
UPDATE clinic.prescriptions SET refill_of = CASE WHEN rx_id = 4000 THEN 3991 ELSE rx_id + 1 END WHERE rx_id >= 3991;
ANALYZE;
`;

/** A strategy for every column of the clinic schema (keys kept, personal data masked). */
export const CLINIC_MASKS = {
  clinics: { clinic_code: 'keep', city: 'keep' },
  patients: { patient_id: 'keep', clinic_code: 'keep', referred_by: 'keep', email: 'hash', born: 'null' },
  enrol: { patient_no: 'keep', clinic_code: 'keep', enrolled_on: 'keep' },
  visits: { visit_id: 'keep', patient_id: 'keep', patient_no: 'keep', clinic_code: 'keep', seen_on: 'keep' },
  prescriptions: { rx_id: 'keep', visit_id: 'keep', refill_of: 'keep', drug: 'keep' },
} as const;

/** Every foreign key of the clinic schema, as (child columns) -> parent(key columns), for orphan counts. */
export const CLINIC_FOREIGN_KEYS: readonly {
  readonly table: string;
  readonly columns: readonly string[];
  readonly parent: string;
  readonly keys: readonly string[];
}[] = [
  { table: 'patients', columns: ['clinic_code'], parent: 'clinics', keys: ['clinic_code'] },
  { table: 'patients', columns: ['referred_by'], parent: 'patients', keys: ['patient_id'] },
  { table: 'enrol', columns: ['clinic_code'], parent: 'clinics', keys: ['clinic_code'] },
  { table: 'visits', columns: ['patient_id'], parent: 'patients', keys: ['patient_id'] },
  { table: 'visits', columns: ['patient_no', 'clinic_code'], parent: 'enrol', keys: ['patient_no', 'clinic_code'] },
  { table: 'prescriptions', columns: ['visit_id'], parent: 'visits', keys: ['visit_id'] },
  { table: 'prescriptions', columns: ['refill_of'], parent: 'prescriptions', keys: ['rx_id'] },
];

/** Child rows of a schema whose (non-null) foreign key finds no parent row, per foreign key. */
export function orphanQuery(schema: string): string {
  return CLINIC_FOREIGN_KEYS.map((fk) => {
    const on = fk.columns.map((c, i) => `p."${fk.keys[i]}" = c."${c}"`).join(' AND ');
    const present = fk.columns.map((c) => `c."${c}" IS NOT NULL`).join(' AND ');
    return (
      `SELECT '${fk.table}.${fk.columns.join(',')}' AS fk, count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM "${schema}"."${fk.parent}" p WHERE ${on})) AS orphans, ` +
      `count(*) AS rows FROM "${schema}"."${fk.table}" c WHERE ${present}`
    );
  }).join(' UNION ALL ');
}
