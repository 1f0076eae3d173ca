/**
 * The executor's answers to what an engine says, against a local HTTP server
 * that answers the Docker Engine API paths the way Podman does.
 */
import type http from 'node:http';
import { describe, expect, it } from 'vitest';
import { useLoopbackServers } from '../../../test/support/loopback-server.ts';
import { ContainerEngine } from './container-engine.ts';

const serve = useLoopbackServers();

/** Podman 4.3's answer to an inspect that races the container's exit. */
function raceAnswer(response: http.ServerResponse): void {
  response.writeHead(500, { 'content-type': 'application/json' });
  response.end(
    JSON.stringify({
      cause: 'no such process',
      message: 'read /proc/5955/cgroup: no such process',
      response: 500,
    }),
  );
}

function json(response: http.ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function engineAnswering(
  answer: (request: http.IncomingMessage, response: http.ServerResponse, call: number) => void,
): Promise<{ engine: ContainerEngine; calls: () => string[] }> {
  const seen: string[] = [];
  const base = await serve((request, response) => {
    seen.push(`${request.method} ${new URL(request.url ?? '/', 'http://x').pathname}`);
    answer(request, response, seen.length);
  });
  const engine = new ContainerEngine({ env: { DOCKER_HOST: base.replace('http:', 'tcp:') } });
  return { engine, calls: () => seen };
}

describe('ContainerEngine against an engine that answers 500 while a container exits', () => {
  it('asks an inspect again and returns the answer that follows', async () => {
    const { engine, calls } = await engineAnswering((_request, response, call) => {
      if (call <= 2) raceAnswer(response);
      else json(response, 200, { Id: 'c1', State: { Status: 'exited', ExitCode: 0 } });
    });
    const info = await engine.inspectContainer('c1');
    expect(info?.State.Status).toBe('exited');
    expect(calls()).toEqual([
      'GET /containers/c1/json',
      'GET /containers/c1/json',
      'GET /containers/c1/json',
    ]);
  });

  it('gives up after a few tries with the engine’s own words', async () => {
    const { engine, calls } = await engineAnswering((_request, response) => raceAnswer(response));
    await expect(engine.inspectContainer('c1')).rejects.toThrow(
      /^read \/proc\/5955\/cgroup: no such process$/,
    );
    expect(calls()).toHaveLength(4);
  });

  it('does not repeat a call that changes something', async () => {
    const { engine, calls } = await engineAnswering((_request, response) => raceAnswer(response));
    await expect(engine.signalContainer('c1', 'SIGTERM')).rejects.toThrow(/no such process/);
    expect(calls()).toEqual(['POST /containers/c1/kill']);
  });

  it('answers undefined at once for a container the engine does not have', async () => {
    const { engine, calls } = await engineAnswering((_request, response) =>
      json(response, 404, { message: 'no such container' }),
    );
    expect(await engine.inspectContainer('c1')).toBeUndefined();
    expect(calls()).toHaveLength(1);
  });
});
