/**
 * For tests of the CLI verbs: the real control API (createApiServer) on
 * 127.0.0.1:0 over a ControlPlane double, a temp folder with a spec, and a
 * CliIO that points at the server through SWITCHYARD_URL/SWITCHYARD_TOKEN
 * and captures what the verb prints.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { createApiServer } from '../../server/api-server.ts';
import { FakeControlPlane } from '../../server/testing/fake-control-plane.ts';
import type { CliIO } from '../io.ts';

export const FAKE_TOKEN = 'fake-daemon-token';

export const SHOP_SPEC = [
  'service: shop',
  'runtime: { type: process, command: "node server.js" }',
  'router: { listen: 8080 }',
  'environments:',
  '  beta: { replicas: 2 }',
  '',
].join('\n');

export interface CapturedIO extends CliIO {
  readonly out: () => string;
  readonly err: () => string;
}

export interface FakeDaemon {
  readonly control: FakeControlPlane;
  readonly url: string;
  readonly cwd: string;
  io(options?: { stdinIsTTY?: boolean; stdoutIsTTY?: boolean; stdin?: string[] }): CapturedIO;
  dispose(): Promise<void>;
}

export async function startFakeDaemon(): Promise<FakeDaemon> {
  const control = new FakeControlPlane();
  const app: FastifyInstance = await createApiServer({ control, token: FAKE_TOKEN });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const cwd = await mkdtemp(join(tmpdir(), 'switchyard-cli-'));
  await writeFile(join(cwd, 'switchyard.yaml'), SHOP_SPEC);
  return {
    control,
    url,
    cwd,
    io(options = {}) {
      let out = '';
      let err = '';
      const stdin = Object.assign(Readable.from(options.stdin ?? []), {
        isTTY: options.stdinIsTTY ?? false,
      });
      return {
        stdout: { write: (chunk: string) => (out += chunk), isTTY: options.stdoutIsTTY ?? false },
        stderr: { write: (chunk: string) => (err += chunk) },
        stdin,
        cwd,
        env: { SWITCHYARD_URL: url, SWITCHYARD_TOKEN: FAKE_TOKEN, SWITCHYARD_USER: 'tester@here' },
        out: () => out,
        err: () => err,
      };
    },
    async dispose() {
      await app.close();
      await rm(cwd, { recursive: true, force: true });
    },
  };
}
