import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';

/**
 * The digest of a resolved spec: sha256 (hex) of its canonical JSON, so two
 * specs that differ only in key order have the same digest and `history` can
 * tell a changed spec from a re-deploy of the same one.
 */
export function specDigest(spec: unknown): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex');
}
