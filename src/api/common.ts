import countries from 'i18n-iso-countries';
import { z } from 'zod';
import { parseDuration } from './duration.ts';

/** Every ISO 3166-1 alpha-2 code, upper case, as the standard writes them. */
export const ISO_COUNTRY_CODES = Object.keys(countries.getAlpha2Codes()).sort() as [string, ...string[]];

const isoCodes = new Set(ISO_COUNTRY_CODES);

/**
 * A country code. Checked against the ISO list rather than emitted as a 250-value enum, so that the
 * API server's error stays one readable sentence instead of listing every code.
 */
const ISO_PATTERN = `^(${ISO_COUNTRY_CODES.join('|')})$`;

/**
 * Codes that people write for a country but that ISO 3166-1 gives to no one or to another: the EU's
 * own abbreviations for the United Kingdom and Greece.
 */
const COUNTRY_HINTS: Readonly<Record<string, string>> = {
  UK: 'GB (United Kingdom)',
  EL: 'GR (Greece)',
};

function countryMessage(code: string): string {
  const hint = COUNTRY_HINTS[code];
  if (hint) return `"${code}" is not an ISO 3166-1 alpha-2 country code: did you mean ${hint}?`;
  if (isoCodes.has(code.toUpperCase()))
    return `must be an ISO 3166-1 alpha-2 country code in upper case: did you mean "${code.toUpperCase()}"?`;
  return `must be an ISO 3166-1 alpha-2 country code in upper case, for example "DE"; got "${code}"`;
}

/** countryMessage() in CEL, for the API server's messageExpression. */
const COUNTRY_MESSAGE_CEL = [
  ...Object.entries(COUNTRY_HINTS).map(
    ([code, hint]) =>
      `self == '${code}' ? '"${code}" is not an ISO 3166-1 alpha-2 country code: did you mean ${hint}?' : `,
  ),
  `self.upperAscii().matches('${ISO_PATTERN}') ? 'must be an ISO 3166-1 alpha-2 country code in upper case: did you mean "' + self.upperAscii() + '"?' : `,
  `'must be an ISO 3166-1 alpha-2 country code in upper case, for example "DE"; got "' + self + '"'`,
].join('');

export const countryCode = withRules(
  z
    .string()
    .max(2, 'expected a two-letter ISO 3166-1 alpha-2 country code')
    .describe('ISO 3166-1 alpha-2 country code, upper case (for example "FR").'),
  [
    {
      cel: `self.matches('${ISO_PATTERN}')`,
      message: 'must be an ISO 3166-1 alpha-2 country code in upper case, for example "DE"',
      messageFrom: { cel: COUNTRY_MESSAGE_CEL, ts: countryMessage },
      holds: (code) => isoCodes.has(code),
    },
  ],
);

/** A name that Kubernetes accepts as metadata.name of a cluster-scoped object (DNS-1123 subdomain). */
export const objectName = z
  .string()
  .min(1, 'must not be empty')
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
    error: 'must be a lowercase DNS-1123 name (letters, digits, "-" and ".")',
  });

/**
 * A Go-style duration ("90s", "15m", "720h", "1h30m", "1.5h"), the form Kubernetes users write in
 * metav1.Duration fields: hours, minutes, seconds and milliseconds, each at most once, in that order,
 * with at most six digits before the decimal point. That shape can never overflow CEL's `duration()`
 * (int64 nanoseconds), so the API server's rule below never fails with an evaluation error, which it
 * would not ratchet for objects stored before the rule existed. Negative durations are refused too.
 */
const DURATION_PATTERN =
  '^([0-9]{1,6}([.][0-9]{1,9})?h)?([0-9]{1,6}([.][0-9]{1,9})?m)?([0-9]{1,6}([.][0-9]{1,9})?s)?([0-9]{1,6}([.][0-9]{1,9})?ms)?$';
const duration = z
  .string()
  .min(2, { error: 'expected a duration such as "30s", "15m" or "720h"' })
  .max(64)
  .regex(new RegExp(DURATION_PATTERN), {
    error:
      'expected a non-negative duration such as "30s", "15m", "720h" or "1h30m" (h, m, s, ms in that order, at most 6 digits each)',
  });

/**
 * A duration no longer than `max`: every duration the API accepts is one the operator can act on (a
 * lead time of a million hours would overflow instants). Checked by zod and, with the same bound, by
 * CEL's `duration()` at the API server.
 */
export function durationAtMost(max: string) {
  const maxMs = parseDuration(max);
  const message = `must be at most ${max}`;
  return duration
    .refine(
      (d) => {
        try {
          return parseDuration(d) <= maxMs;
        } catch {
          return false;
        }
      },
      { error: (issue) => `${message}, got ${JSON.stringify(issue.input)}` },
    )
    .meta({
      'x-kubernetes-validations': [
        // matches() first: `false && <error>` is false in CEL, so duration() never sees what it cannot parse.
        { rule: `self.matches('${DURATION_PATTERN}') && duration(self) <= duration('${max}')`, message },
      ],
    });
}

/** RFC 3339 date-time, as CEL (RE2) and JavaScript both read it (the CRDs check dates with it). */
export const RFC3339 =
  '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)([.][0-9]+)?([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$';

/** At most 64 characters, so that the API server can bound the cost of its rule over the text. */
export const dateTime = z.iso
  .datetime({
    offset: true,
    error: (issue) =>
      typeof issue.input === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(issue.input)
        ? `expected an RFC 3339 date-time, got the date "${issue.input}" without a time: write "${issue.input}T00:00:00Z"`
        : 'expected an RFC 3339 date-time such as "2026-01-31T00:00:00Z"',
  })
  .max(64, 'expected an RFC 3339 date-time of at most 64 characters');

export const badgeType = z
  .enum(['Sovereign', 'Resilient'], {
    error: (issue) => `expected "Sovereign" or "Resilient", got ${JSON.stringify(issue.input)}`,
  })
  .describe('CISPE badge: Sovereign (control by design) or Resilient (control by capability).');

export const assuranceLevel = z
  .enum(['SelfDeclared', 'ThirdPartyCertified'], {
    error: (issue) => `expected "SelfDeclared" or "ThirdPartyCertified", got ${JSON.stringify(issue.input)}`,
  })
  .describe('How a badge was established; ThirdPartyCertified ranks above SelfDeclared.');

export const eucsLevel = z.enum(['Basic', 'Substantial', 'High']);

/**
 * An integer between `min` and `max`; out of range, the message names the field and its range and
 * echoes the value given, instead of zod's "Too big: expected number to be <=4".
 */
export function boundedInt(field: string, min: number, max: number, what = 'an integer') {
  const error = (issue: { input?: unknown }) =>
    `${field} must be ${what} from ${min} to ${max}, got ${JSON.stringify(issue.input)}`;
  return z.int({ error }).min(min, { error }).max(max, { error });
}

/** Levels held (on a CloudService) or required (on a requirement) under other schemes. */
export const schemeLevels = z
  .strictObject({
    seal: boundedInt('seal', 0, 4, 'a SEAL level')
      .optional()
      .describe('EU Cloud Sovereignty Framework SEAL level, 0 to 4.'),
    gaiaXLabel: boundedInt('gaiaXLabel', 1, 3, 'a Gaia-X label level')
      .optional()
      .describe('Gaia-X label level, 1 to 3.'),
    secNumCloud: z.boolean().optional().describe('SecNumCloud qualification (ANSSI).'),
    eucs: eucsLevel.optional().describe('EUCS assurance level: Basic, Substantial or High.'),
  })
  .describe('Levels under other certification schemes.');

const labelKey = z.string().min(1).max(316);
export const labelSelectorRequirement = z.strictObject({
  key: labelKey.describe('Label key the requirement applies to.'),
  operator: z
    .enum(['In', 'NotIn', 'Exists', 'DoesNotExist'])
    .describe('Relation between the key and values.'),
  values: z
    .array(z.string().max(63))
    .max(64)
    .optional()
    .describe('Values for In and NotIn; empty for Exists and DoesNotExist.'),
});

export const labelSelector = z
  .strictObject({
    matchLabels: z.record(z.string(), z.string()).optional().describe('Labels that must all be equal.'),
    matchExpressions: z
      .array(labelSelectorRequirement)
      .max(32)
      .optional()
      .describe('Requirements that must all hold.'),
  })
  .describe('A Kubernetes label selector. An empty selector selects everything in scope.');

export const reasonEntry = z.strictObject({
  code: z.string().max(64).describe('Machine-readable reason code, for example BadgeExpired.'),
  message: z.string().max(1024).describe('The reason as a sentence.'),
});

/** The shape of metav1.Condition. */
export const condition = z.strictObject({
  type: z.string().max(316).describe('Condition type, for example Ready.'),
  status: z.enum(['True', 'False', 'Unknown']).describe('True, False or Unknown.'),
  observedGeneration: z
    .int()
    .min(0)
    .optional()
    .describe('Generation of the spec this condition was set for.'),
  lastTransitionTime: dateTime.describe('When the status last changed.'),
  reason: z
    .string()
    .max(1024)
    .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
    .describe('CamelCase reason for the last transition.'),
  message: z.string().max(32768).describe('Human-readable details.'),
});

export const statusBase = {
  observedGeneration: z.int().min(0).optional().describe('The metadata.generation this status describes.'),
  conditions: z
    .array(condition)
    .max(16)
    .optional()
    .describe('Latest observations of the object, in the shape of metav1.Condition.')
    .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }),
};

export interface Rule<T> {
  /** CEL expression evaluated by the API server on the object this rule is attached to. */
  cel: string;
  message: string;
  /**
   * When the message should echo the value or suggest the fix: the same message twice, as a CEL
   * string expression (the API server's messageExpression) and in TypeScript (zod).
   */
  messageFrom?: { cel: string; ts: (value: T) => string };
  /** Field that the error names, relative to the object (for example ".validUntil"). */
  field?: string;
  /**
   * The fields of the object the rule reads. zod skips an object's refinements as soon as any of its
   * fields is invalid, so a rule that names them is checked whenever those fields are valid: one round
   * of errors then lists every problem (the API server evaluates its rules the same way).
   */
  reads?: string[];
  /** The same rule in TypeScript, evaluated by zod in the operator and the CLI. */
  holds: (value: T) => boolean;
}

/**
 * Attaches cross-field rules twice from one declaration: as a zod refinement (operator, CLI) and as
 * x-kubernetes-validations (API server). Keeping both in one place is what stops them drifting.
 */
export function withRules<S extends z.ZodType>(schema: S, rules: Rule<z.output<S>>[]): S {
  let refined = schema;
  for (const rule of rules) {
    const path = rule.field ? rule.field.replace(/^\./, '').split('.') : [];
    const reads = rule.reads;
    const messageFrom = rule.messageFrom;
    refined = refined.refine(rule.holds, {
      path,
      error: messageFrom ? (issue) => messageFrom.ts(issue.input as z.output<S>) : rule.message,
      ...(reads
        ? { when: (payload) => !payload.issues.some((issue) => reads.includes(String(issue.path?.[0]))) }
        : {}),
    }) as S;
  }
  const validations = rules.map((r) => ({
    rule: r.cel,
    message: r.message,
    ...(r.messageFrom ? { messageExpression: r.messageFrom.cel } : {}),
    ...(r.field ? { fieldPath: r.field } : {}),
  }));
  return refined.meta({ 'x-kubernetes-validations': validations }) as S;
}

/** Milliseconds since the epoch of an RFC 3339 string (already validated by `dateTime`). */
export const instant = (value: string): number => Date.parse(value);
