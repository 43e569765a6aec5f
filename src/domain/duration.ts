// Durations are parsed where the schema validates them (src/api), so that a value the API accepts is by
// construction one the engine can use; the domain speaks of them through this module.
export { DurationError, formatDuration, parseDuration } from '../api/duration.ts';
