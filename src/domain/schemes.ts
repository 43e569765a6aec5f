import type { SchemeLevels } from './requirement.ts';

/**
 * Levels under other certification schemes (EU Cloud Sovereignty Framework SEAL, Gaia-X labels,
 * SecNumCloud, EUCS). Each scheme is ordered; a held level satisfies every lower minimum.
 */
export type Scheme = keyof SchemeLevels;

interface SchemeDefinition {
  /** Name in messages. */
  readonly title: string;
  /** Every value as a string (the form label values take), lowest first. */
  readonly values: readonly string[];
}

export const SCHEMES: Readonly<Record<Scheme, SchemeDefinition>> = {
  seal: { title: 'SEAL level', values: ['0', '1', '2', '3', '4'] },
  gaiaXLabel: { title: 'Gaia-X label', values: ['1', '2', '3'] },
  secNumCloud: { title: 'SecNumCloud qualification', values: ['false', 'true'] },
  eucs: { title: 'EUCS level', values: ['Basic', 'Substantial', 'High'] },
};

export const SCHEME_NAMES = Object.keys(SCHEMES) as Scheme[];

/** A scheme level as a string ("3", "true", "High"); undefined when not held. */
export function schemeValue(levels: SchemeLevels | undefined, scheme: Scheme): string | undefined {
  const value = levels?.[scheme];
  return value === undefined ? undefined : String(value);
}

/**
 * The values that satisfy a minimum, lowest first. `secNumCloud: false` asks for nothing, so every value
 * (and absence, which the caller handles) satisfies it.
 */
export function schemeValuesAtLeast(scheme: Scheme, minimum: string): readonly string[] {
  const values = SCHEMES[scheme].values;
  const index = values.indexOf(minimum);
  return index < 0 ? [] : values.slice(index);
}

/** Whether a minimum asks for anything at all (`secNumCloud: false` does not). */
export function schemeRequires(minimum: SchemeLevels | undefined, scheme: Scheme): boolean {
  const value = minimum?.[scheme];
  return value !== undefined && value !== false;
}

export interface UnmetScheme {
  readonly scheme: Scheme;
  readonly held: string | undefined;
  readonly minimum: string;
}

/** The schemes whose minimum the held levels do not reach, in a fixed order. */
export function unmetSchemeLevels(
  held: SchemeLevels | undefined,
  minimum: SchemeLevels | undefined,
): UnmetScheme[] {
  const unmet: UnmetScheme[] = [];
  for (const scheme of SCHEME_NAMES) {
    if (!schemeRequires(minimum, scheme)) continue;
    const wanted = schemeValue(minimum, scheme) ?? '';
    const has = schemeValue(held, scheme);
    if (has === undefined || !schemeValuesAtLeast(scheme, wanted).includes(has)) {
      unmet.push({ scheme, held: has, minimum: wanted });
    }
  }
  return unmet;
}
