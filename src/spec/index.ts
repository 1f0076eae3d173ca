/**
 * The spec (DESIGN.md, spec/): load switchyard.yaml, expand `${VAR}`, overlay
 * an environment, validate, and report every error with file, line and path.
 */
export { loadSpec, parseSpec, type LoadSpecOptions, type ParseSpecOptions } from './load.ts';
export { SpecError, isSpecError, formatIssue, formatPath, type SpecIssue } from './spec-error.ts';
export { Duration, durationMs, DURATION_HINT } from './duration.ts';
export { pauseMs } from './schema/strategy.ts';
export { PRESETS, effectiveStrategy, type EffectiveStrategy } from './presets.ts';
export { specJsonSchema, SCHEMA_ID } from './json-schema.ts';
export { interpolateString, type Env } from './interpolate.ts';
export { escapeInterpolation, resolvedSpecYaml } from './print.ts';
export * from './defaults.ts';
export { switchyardVariables } from './switchyard-variables.ts';
export type * from './types.ts';
