/**
 * The runtime conformance suite against the container runtime on a real
 * engine (Podman's Docker-compatible API here; Docker the same way), plus
 * what only containers have: images, labels, published ports, a start whose
 * image is missing, and containers found by label after a crash.
 *
 * The app is the same test/fixtures/apps/http-app.mjs, in a `FROM scratch`
 * image with busybox, the libraries this Node needs and the app; the Node
 * binary itself is bind-mounted read-only (a `volumes` entry). A bystander
 * container, not started by the runtime, stands in for every other container
 * on the engine: a stale record names it, and it must come through untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerEngine } from '../../src/runtime/container/container-engine.ts';
import { describeContainer } from '../../src/runtime/container/container-plan.ts';
import { containerHandleOf } from '../../src/runtime/container/container-handle.ts';
import { ContainerRuntime } from '../../src/runtime/container/container-runtime.ts';
import type { ContainerLaunch, InstanceRequest } from '../../src/runtime/runtime.ts';
import {
  BUSYBOX_BASE,
  buildImage,
  busyboxFiles,
  containersWithLabel,
  removeContainer,
  removeImages,
  requireEngine,
  sharedLibraries,
  testImageTag,
} from '../system/container-support.ts';
import { startInChildController } from './child-controller.ts';
import { HTTP_APP_PATH, describeRuntimeConformance } from './runtime-conformance.ts';
import { waitForHttpOk } from './http-client.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NODE_IN_CONTAINER = '/usr/local/bin/node';
const APP_PORT = 8080;

let engine: ContainerEngine;
const appImage = testImageTag('conformance-app');
const bystanderImage = testImageTag('conformance-bystander');
let bystanderId = '';

const appLaunch: ContainerLaunch = {
  image: appImage,
  command: [NODE_IN_CONTAINER, '/app/http-app.mjs'],
  port: APP_PORT,
  volumes: [`${process.execPath}:${NODE_IN_CONTAINER}:ro`],
  pull: 'never',
};

beforeAll(async () => {
  engine = await requireEngine();
  await buildImage(engine, {
    tag: appImage,
    containerfile: [
      BUSYBOX_BASE,
      'COPY libs/ /',
      'COPY app/ /app/',
      // Inside its own network namespace the app must listen on every address.
      'ENV HOST=0.0.0.0',
    ].join('\n'),
    files: [
      ...busyboxFiles(),
      ...sharedLibraries(process.execPath),
      { path: 'app/http-app.mjs', content: { from: HTTP_APP_PATH } },
    ],
  });
  await buildImage(engine, {
    tag: bystanderImage,
    containerfile: `${BUSYBOX_BASE}\nCMD ["sleep", "3600"]`,
    files: busyboxFiles(),
  });
  const bystander = await engine.client().createContainer({
    name: `switchyard-test-bystander-${process.pid}`,
    Image: bystanderImage,
    Labels: { 'switchyard.instance': 'someone-else' },
  });
  bystanderId = bystander.id;
  await bystander.start();
});

afterAll(async () => {
  if (engine === undefined) return;
  if (bystanderId !== '') await removeContainer(engine, bystanderId);
  await removeImages(engine, [appImage, bystanderImage]);
});

describeRuntimeConformance('container', {
  makeRuntime: (context) => new ContainerRuntime({ stateDir: context.stateDir }),
  appRequest: { container: appLaunch },
  instancePort: (record) => containerHandleOf(record).containerPort,
  forceCleanup: (record) => removeContainer(engine, containerHandleOf(record).containerId),
  // The identity "reused": the record names another container that exists.
  staleRecord: (record) => ({ ...record, handle: { ...record.handle, containerId: bystanderId } }),
  startFromExitedController: (context, request) =>
    startInChildController('container', context, request),
});

describe('container runtime on a real engine', () => {
  const made: string[] = [];
  let stateDir = '';
  let counter = 0;

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'switchyard-container-'));
  });
  afterAll(async () => {
    for (const id of made) await removeContainer(engine, id);
    await rm(stateDir, { recursive: true, force: true });
  });

  function request(overrides: Partial<InstanceRequest> = {}): InstanceRequest {
    counter += 1;
    return {
      service: 'shop',
      environment: 'beta',
      revision: 2,
      version: 'v2',
      pool: 'green',
      instanceId: `shop-beta-extra-${process.pid}-${counter}`,
      container: appLaunch,
      env: {},
      stopTimeoutMs: 5000,
      ...overrides,
    };
  }

  it('publishes the port on loopback only, with labels, limits and the bind mount the spec asked for', async () => {
    const runtime = new ContainerRuntime({ stateDir });
    const record = await runtime.start(
      request({
        container: {
          ...appLaunch,
          memory: '256m',
          cpus: 0.5,
          labels: { 'com.example.team': 'web' },
        },
      }),
    );
    const { containerId } = containerHandleOf(record);
    made.push(containerId);
    await waitForHttpOk(`http://${record.host}:${record.port}/healthz`);

    const info = await engine.client().getContainer(containerId).inspect();
    expect(info.Name.replace(/^\//, '')).toBe(record.instanceId);
    expect(info.NetworkSettings.Ports[`${APP_PORT}/tcp`]).toEqual([
      { HostIp: '127.0.0.1', HostPort: String(record.port) },
    ]);
    expect(info.Config.Labels).toMatchObject({
      'com.example.team': 'web',
      'switchyard.service': 'shop',
      'switchyard.environment': 'beta',
      'switchyard.revision': '2',
      'switchyard.version': 'v2',
      'switchyard.pool': 'green',
      'switchyard.instance': record.instanceId,
    });
    expect(info.HostConfig.Memory).toBe(256 * 1024 * 1024);
    expect(info.HostConfig.NanoCpus).toBe(500_000_000);
    // Engines append their defaults (Podman: rprivate,rbind) to the options asked for.
    expect(info.HostConfig.Binds).toEqual([
      expect.stringMatching(new RegExp(`^${process.execPath}:${NODE_IN_CONTAINER}:ro\\b`)),
    ]);
    expect((await runtime.stop(record)).exitCode).toBe(0);
    // Stopped means removed from the engine, with the exit and the last lines kept.
    expect(await engine.inspectContainer(containerId)).toBeUndefined();
    expect(await runtime.inspect(record)).toEqual({ state: 'exited', exitCode: 0, signal: null });
    const kept: string[] = [];
    for await (const line of runtime.logs(record, { tail: 1 })) kept.push(line);
    expect(kept).toEqual(['drained, exiting']);
  });

  it('refuses to start when the image is missing, saying what to do, and pulls nothing', async () => {
    const runtime = new ContainerRuntime({ stateDir });
    const missing = testImageTag('never-built', '2');
    const attempt = request({ container: { ...appLaunch, image: missing } });

    const error = await runtime.start(attempt).then(
      () => undefined,
      (caught: unknown) => caught as { code: string; message: string },
    );

    expect(error?.code).toBe('RUNTIME_START_FAILED');
    expect(error?.message).toContain(
      `image ${missing} not found on the container engine; build or load it first`,
    );
    expect(await containersWithLabel(engine, `switchyard.instance=${attempt.instanceId}`)).toEqual(
      [],
    );
    expect(await engine.imageExists(missing)).toBe(false);
  });

  it('reports a command the image cannot run as a start failure and leaves no container', async () => {
    const runtime = new ContainerRuntime({ stateDir });
    const attempt = request({ container: { ...appLaunch, command: ['/no/such/program'] } });

    await expect(runtime.start(attempt)).rejects.toMatchObject({ code: 'RUNTIME_START_FAILED' });
    expect(await containersWithLabel(engine, `switchyard.instance=${attempt.instanceId}`)).toEqual(
      [],
    );
  });

  it('finds and removes the container of a start cut short, by its label, and nothing else', async () => {
    // What a controller killed between create and recording leaves: a
    // container with the instance's labels that no record names.
    const cutShort = request();
    const plan = describeContainer({ request: cutShort, launch: appLaunch, hostPort: 0 });
    const orphan = await engine.createContainer({
      ...plan,
      body: { ...plan.body, HostConfig: { ...plan.body.HostConfig, PortBindings: {} } },
    });
    made.push(orphan);
    await engine.startContainer(orphan);
    const runtime = new ContainerRuntime({ stateDir });

    expect(await runtime.stopUnrecorded(cutShort.instanceId)).toEqual([
      `container ${orphan.slice(0, 12)}`,
    ]);
    expect(await engine.inspectContainer(orphan)).toBeUndefined();
    expect(await runtime.stopUnrecorded('an-instance-that-never-started')).toEqual([]);
    expect((await engine.inspectContainer(bystanderId))?.State.Running).toBe(true);
  });

  it('never touched the bystander container, whatever records named it', async () => {
    const info = await engine.inspectContainer(bystanderId);
    expect(info?.State.Running).toBe(true);
    expect(info?.RestartCount).toBe(0);
  });
});
