import type { SovereigntyArea } from '../api/index.ts';
import { type Reason, reason } from './reasons.ts';

/** Area name → its countries (ISO 3166-1 alpha-2). Built once per reconcile, read by every verdict. */
export type AreaIndex = ReadonlyMap<string, ReadonlySet<string>>;

export function indexAreas(areas: readonly Pick<SovereigntyArea, 'metadata' | 'spec'>[]): AreaIndex {
  return new Map(areas.map((a) => [a.metadata.name, new Set(a.spec.countries)]));
}

export type AreaResolution =
  | { readonly ok: true; readonly name: string; readonly countries: ReadonlySet<string> }
  | { readonly ok: false; readonly name: string; readonly reason: Reason };

/** The countries of an area, or UnknownArea: a requirement naming no known area conforms nowhere. */
export function resolveArea(areas: AreaIndex, name: string): AreaResolution {
  const countries = areas.get(name);
  return countries
    ? { ok: true, name, countries }
    : { ok: false, name, reason: reason('UnknownArea', { area: name }) };
}
