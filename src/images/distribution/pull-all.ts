// `docker pull --all-tags` (POST /images/create with a name and no tag):
// the registry's tag list, then each tag pulled in turn as dockerd does
// ("TAG: Pulling from ...", its layers, "Digest: ..."), with one closing
// status for the repository: "Downloaded newer image" if any tag brought
// something new, else "Image is up to date". A repository the registry does
// not know fails before anything is streamed.

import { BerthError, isCode, notFound, wrap } from '../../core/errors.ts';
import { type Reference, familiarName, familiarString } from '../reference.ts';
import { RegistryClient } from './client.ts';
import { pickEndpoint } from './endpoints.ts';
import type { ProgressSink } from './progress.ts';
import { type PullDeps, type PullOptions, pullImage } from './pull.ts';

/** Pulls every tag of o.ref's repository; returns the last image's ID ('' when the repository has no tags). */
export async function pullAllTags(deps: PullDeps, o: PullOptions, sink: ProgressSink): Promise<string> {
  const repo: Reference = { domain: o.ref.domain, path: o.ref.path };
  const name = familiarName(repo);
  const ep = await pickEndpoint(repo.domain, deps.registry).catch((err) => { throw wrap(err, `pulling ${name}: registry ${repo.domain} unreachable`); });
  const client = new RegistryClient(ep, repo.path, {
    credentials: o.credentials ?? {}, actions: ['pull'], ...(deps.registry.timeouts ? { timeouts: deps.registry.timeouts } : {}),
  });
  let tags: string[];
  try {
    tags = await client.listTags();
  } catch (err) {
    if (isCode(err, 'not_found')) {
      throw notFound(`repository ${name} not found: ${(err as { registryDetail?: string }).registryDetail ?? (err as Error).message}`);
    }
    if (err instanceof BerthError && (err.code === 'unauthorized' || err.code === 'forbidden')) {
      throw new BerthError(err.code, `pull access denied for ${name}, repository does not exist or may require 'docker login': ${err.message}`);
    }
    throw wrap(err, `pulling ${name}: listing its tags`);
  }
  let anyNew = false;
  let last = '';
  for (const tag of tags) {
    const r = await pullImage(deps, { ...o, ref: { ...repo, tag }, statusLine: false }, sink);
    anyNew ||= !r.upToDate;
    last = r.id;
  }
  const what = familiarString(repo);
  sink({ status: anyNew ? `Status: Downloaded newer image for ${what}` : `Status: Image is up to date for ${what}` });
  return last;
}
