/**
 * Which version `deploy` sends: `--version V`; else the tag of `--image`;
 * else the tag of the image in the spec (container or ssh runtime). A
 * process runtime has no tag to take it from, so there `--version` is
 * required: a version made up from the clock or the spec would not say what
 * code runs, and `history` and rollbacks name versions.
 */
import { SwitchyardError } from '../errors.ts';
import type { ResolvedSpec } from '../spec/index.ts';

const VERSION = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/;

/** `registry:5000/shop:1.4.2@sha256:…` → `1.4.2`; no tag (or `latest`) → undefined. */
export function imageTag(image: string): string | undefined {
  const withoutDigest = image.split('@')[0] ?? image;
  const name = withoutDigest.slice(withoutDigest.lastIndexOf('/') + 1);
  const colon = name.lastIndexOf(':');
  if (colon < 0) return undefined;
  const tag = name.slice(colon + 1);
  return tag === '' || tag === 'latest' ? undefined : tag;
}

export function specImage(spec: ResolvedSpec): string | undefined {
  const runtime = spec.runtime as { type: string; image?: string };
  return runtime.image;
}

/** The spec with `--image` put in its runtime; only runtimes that run images take one. */
export function withImage(spec: ResolvedSpec, image: string): ResolvedSpec {
  const runtime = spec.runtime as { type: string; image?: string };
  if (runtime.type === 'container' || (runtime.type === 'ssh' && runtime.image !== undefined)) {
    return { ...spec, runtime: { ...spec.runtime, image } as ResolvedSpec['runtime'] };
  }
  throw new SwitchyardError(
    'USAGE',
    `--image needs a runtime that runs images (container, or ssh with image:); this spec's runtime is ${runtime.type}. Leave out --image and pass --version.`,
  );
}

export function deployVersion(options: {
  readonly version?: string;
  readonly image?: string;
  readonly spec: ResolvedSpec;
}): string {
  const image = options.image ?? specImage(options.spec);
  const version = options.version ?? (image === undefined ? undefined : imageTag(image));
  if (version === undefined) {
    throw new SwitchyardError(
      'USAGE',
      image === undefined
        ? 'deploy needs a version: pass --version V (a release number or a git commit), which history and rollbacks will show.'
        : `The image ${image} has no version tag to deploy as; pass --version V, or an image with a tag (--image ${image.split(':')[0]}:1.2.3).`,
    );
  }
  if (!VERSION.test(version)) {
    throw new SwitchyardError(
      'USAGE',
      `--version ${JSON.stringify(version)} is not a version; use letters, digits, ".", "_", "+" and "-", at most 128 characters.`,
    );
  }
  return version;
}
