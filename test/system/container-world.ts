/**
 * The controller system tests' world (controller-harness.ts) with container
 * instances: a temporary state dir, a real router process and store, a
 * ContainerRuntime on the real engine, and web images built for the test
 * (container-web-image.ts), one tag per version. The service name is unique
 * to the run, so the containers that carry its label are exactly the ones
 * this test's controller made; dispose removes those and the images, and
 * stops the router it started.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withImage, deployVersion } from '../../src/cli/deploy-version.ts';
import { spawnRouter } from '../../src/router/spawn-router.ts';
import type { RouterProcess } from '../../src/router/spawn-router.ts';
import type { ContainerEngine } from '../../src/runtime/container/container-engine.ts';
import { ContainerRuntime } from '../../src/runtime/container/container-runtime.ts';
import { LABEL } from '../../src/runtime/container/labels.ts';
import { findFreePort } from '../../src/runtime/process/free-port.ts';
import { parseSpec } from '../../src/spec/index.ts';
import type { ResolvedSpec } from '../../src/spec/index.ts';
import { openStateStore } from '../../src/state/index.ts';
import type { SqliteStateStore } from '../../src/state/sqlite/sqlite-state-store.ts';
import { worldSpecText } from '../support/world-spec.ts';
import type { WorldSpecOptions } from '../support/world-spec.ts';
import { rolloutQueries } from './controller-harness.ts';
import type { RolloutQueries } from './controller-harness.ts';
import {
  containersWithLabel,
  removeContainer,
  removeImages,
  requireEngine,
} from './container-support.ts';
import { buildWebImage, WEB_PORT } from './container-web-image.ts';

export interface ContainerWorld extends RolloutQueries {
  readonly key: { readonly service: string; readonly environment: 'default' };
  readonly stateDir: string;
  readonly store: SqliteStateStore;
  readonly router: RouterProcess;
  readonly runtime: ContainerRuntime;
  readonly engine: ContainerEngine;
  readonly listen: number;
  readonly preview: number;
  /** `localhost/switchyard-test-web-<pid>`: its tags are the versions. */
  readonly repository: string;
  /** Builds the image of a version; dispose removes it. */
  buildVersion(version: string): Promise<string>;
  /**
   * What `switchyard deploy --image <repository>:<version>` sends: the spec
   * with that image, and the version taken from its tag.
   */
  deployment(version: string, options?: WorldSpecOptions): { spec: ResolvedSpec; version: string };
  /** Ids of this service's containers on the engine, running or not, sorted. */
  containers(filter?: string): Promise<string[]>;
  /** The container ids the store's instances name, sorted. */
  storedContainers(): string[];
  dispose(): Promise<void>;
}

export async function createContainerWorld(): Promise<ContainerWorld> {
  const engine = await requireEngine();
  const stateDir = await mkdtemp(join(tmpdir(), 'switchyard-containers-'));
  const router = await spawnRouter({ stateDir });
  const store = openStateStore({ dir: stateDir });
  const runtime = new ContainerRuntime({ stateDir, engine });
  const listen = await findFreePort('127.0.0.1');
  let preview = await findFreePort('127.0.0.1');
  while (preview === listen) preview = await findFreePort('127.0.0.1');
  const key = { service: `web-${process.pid}`, environment: 'default' } as const;
  const repository = `localhost/switchyard-test-web-${process.pid}`;
  const images: string[] = [];
  const runtimeLines = [
    'runtime:',
    '  type: container',
    `  image: ${repository}:unset`,
    `  port: ${WEB_PORT}`,
    '  stopTimeout: 5s',
  ];

  return {
    key,
    stateDir,
    store,
    router,
    runtime,
    engine,
    listen,
    preview,
    repository,
    async buildVersion(version) {
      const tag = await buildWebImage(engine, repository, version);
      images.push(tag);
      return tag;
    },
    deployment(version, options = {}) {
      const image = `${repository}:${version}`;
      const text = worldSpecText(
        { service: key.service, runtime: runtimeLines, listen, preview },
        options,
      );
      const spec = withImage(parseSpec({ text, file: 'switchyard.yaml', env: {} }), image);
      return { spec, version: deployVersion({ image, spec }) };
    },
    ...rolloutQueries(store, key),
    containers: (filter) =>
      containersWithLabel(engine, filter ?? `${LABEL.service}=${key.service}`),
    storedContainers: () =>
      store
        .listInstances(key)
        .map((i) => i.record.handle['containerId'])
        .filter((id): id is string => typeof id === 'string')
        .sort(),
    async dispose() {
      // The service's label is unique to this run: these are the containers it made.
      for (const id of await containersWithLabel(engine, `${LABEL.service}=${key.service}`)) {
        await removeContainer(engine, id);
      }
      store.close();
      await router.stop();
      await removeImages(engine, images);
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
