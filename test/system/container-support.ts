/**
 * What the container tests share: the engine (a real Podman or Docker,
 * found as the driver finds it), test images built from `FROM scratch` and
 * Debian's static busybox through the engine's build API, and removal of
 * exactly the containers and images a test made.
 *
 * No engine is a failure with what to run, never a skip: `npm test` runs
 * scripts/setup-podman.sh first when Podman's API does not answer.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ContainerEngine, followProgress } from '../../src/runtime/container/container-engine.ts';

/** Debian's busybox-static: one static binary, so a `FROM scratch` image needs nothing else. */
export const BUSYBOX = '/bin/busybox';

export interface ImageFile {
  /** Where it goes in the build context (the Containerfile COPYs from there). */
  readonly path: string;
  /** The text to write, or `{ from }` a host file to copy. */
  readonly content: string | { readonly from: string };
  readonly mode?: number;
}

export interface ImageBuild {
  readonly tag: string;
  readonly containerfile: string;
  readonly files: readonly ImageFile[];
}

/** The engine the runtime would use; fails with what to run when it does not answer. */
export async function requireEngine(): Promise<ContainerEngine> {
  if (!existsSync(BUSYBOX)) {
    throw new Error(
      `${BUSYBOX} is missing; the test images are built from it. Run scripts/setup-podman.sh (it installs busybox-static).`,
    );
  }
  const engine = new ContainerEngine();
  try {
    await engine.client().version();
  } catch (error) {
    throw new Error(
      `No container engine answers (${(error as Error).message}). Run scripts/setup-podman.sh as root, or start Docker, or set DOCKER_HOST.`,
      { cause: error },
    );
  }
  return engine;
}

/** A tag no other run uses: `localhost/switchyard-test-<name>:<pid>-<n>`. */
let tagCounter = 0;
export function testImageTag(name: string, version?: string): string {
  tagCounter += 1;
  return `localhost/switchyard-test-${name}:${version ?? `${process.pid}-${tagCounter}`}`;
}

/** Builds an image through the engine's build endpoint (POST /build), from a temporary context. */
export async function buildImage(engine: ContainerEngine, build: ImageBuild): Promise<void> {
  const context = await mkdtemp(join(tmpdir(), 'switchyard-image-'));
  try {
    writeFileSync(join(context, 'Containerfile'), build.containerfile);
    for (const file of build.files) {
      const target = join(context, file.path);
      mkdirSync(dirname(target), { recursive: true });
      if (typeof file.content === 'string') writeFileSync(target, file.content);
      else copyFileSync(file.content.from, target);
      if (file.mode !== undefined) chmodSync(target, file.mode);
    }
    const docker = engine.client();
    const stream = await docker.buildImage(
      {
        context,
        src: ['Containerfile', ...new Set(build.files.map((f) => f.path.split('/')[0] ?? f.path))],
      },
      {
        t: build.tag,
        dockerfile: 'Containerfile',
        rm: true,
        forcerm: true,
      },
    );
    await followProgress(docker, stream);
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

/** Removes the images a test built (and their layers no other image uses). */
export async function removeImages(
  engine: ContainerEngine,
  tags: readonly string[],
): Promise<void> {
  for (const tag of tags) {
    await engine
      .client()
      .getImage(tag)
      .remove()
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 404) throw error;
      });
  }
}

/** Kills and removes one container by id without the runtime's help; one already gone is fine. */
export async function removeContainer(engine: ContainerEngine, id: string): Promise<void> {
  const container = engine.client().getContainer(id);
  // A kill first: a forced remove would wait out the stop timeout of a PID 1 that ignores SIGTERM.
  await container.kill({ signal: 'SIGKILL' }).catch(() => undefined);
  await container.remove({ force: true }).catch((error: { statusCode?: number }) => {
    if (error.statusCode !== 404) throw error;
  });
}

/** Ids of the containers, running or not, that carry `label` (`key=value`). */
export async function containersWithLabel(
  engine: ContainerEngine,
  label: string,
): Promise<string[]> {
  const found = await engine.client().listContainers({ all: true, filters: { label: [label] } });
  return found.map((c) => c.Id).sort();
}

/** The files a FROM scratch image needs for `/bin/busybox --install`. */
export function busyboxFiles(): ImageFile[] {
  return [{ path: 'busybox', content: { from: BUSYBOX }, mode: 0o755 }];
}

/** The start of every test Containerfile: busybox and its applets in /bin. */
export const BUSYBOX_BASE = [
  'FROM scratch',
  'COPY busybox /bin/busybox',
  'RUN ["/bin/busybox", "--install", "-s", "/bin"]',
].join('\n');

/**
 * The shared libraries a dynamically linked binary loads (from `ldd`), as
 * image files under `libs/` at their own paths: `COPY libs/ /` puts them in place.
 */
export function sharedLibraries(binary: string): ImageFile[] {
  const output = execFileSync('ldd', [binary], { encoding: 'utf8' });
  const paths = [...output.matchAll(/(\/[^\s]+\.so[^\s]*)/g)].map((match) => match[1] as string);
  return [...new Set(paths)].map((path) => ({ path: `libs${path}`, content: { from: path } }));
}
