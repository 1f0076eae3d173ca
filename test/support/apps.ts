/**
 * The test app (test/fixtures/apps/http-app.mjs): answers `{version, …}` as
 * JSON, `/healthz`, `?delay=ms`, `/log?line=`. `httpAppCommand` runs it as a
 * process-runtime instance with this Node.
 */
import { fileURLToPath } from 'node:url';

export const httpApp = fileURLToPath(new URL('../fixtures/apps/http-app.mjs', import.meta.url));
export const httpAppCommand = `"${process.execPath}" "${httpApp}"`;
