/**
 * Whether a start pulls its image, from the spec's `pull` and whether the
 * engine has the image. The default is `never`: a deploy runs the image that
 * was built or loaded on this engine, and a missing one is an error that
 * says so, rather than a surprise download from a registry.
 */
import type { ContainerLaunch } from '../runtime.ts';

export type ImageStep = 'use' | 'pull' | 'missing';

export function imageStep(pull: ContainerLaunch['pull'], present: boolean): ImageStep {
  if (pull === 'always') return 'pull';
  if (present) return 'use';
  return pull === 'missing' ? 'pull' : 'missing';
}

export function imageMissingMessage(image: string): string {
  return `image ${image} not found on the container engine; build or load it first (docker build / podman build -t ${image} ., or docker load), or set runtime.pull: missing to pull it from its registry.`;
}
