// Which build contexts are git repositories, as Docker decides it (its
// urlutil.IsGitURL): git://, git@ and github.com/ prefixes, or an http(s)
// URL whose path ends in .git (a #ref:dir fragment may follow). Shared by
// the CLI (which sends such a context as /build's remote) and the builder.

const GIT_PREFIXES = ['git://', 'github.com/', 'git@'];

export function isGitUrl(s: string): boolean {
  if (/^https?:\/\//.test(s) && /\.git(?:#.+)?$/.test(s)) return true;
  return GIT_PREFIXES.some((p) => s.startsWith(p));
}
