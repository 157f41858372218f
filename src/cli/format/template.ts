// Go text/template for --format: `new Template(text).execute(data)`.
// The lexer, parser and evaluator live beside this file; this is the API
// the commands use, with docker's function set.

import { parseTemplate } from './template-parser.ts';
import type { Node } from './template-parser.ts';
import { execute } from './template-exec.ts';
import type { MissingKey, TemplateFunc } from './template-exec.ts';
import { builtinFuncs, dockerFuncs } from './template-funcs.ts';

export { TemplateParseError } from './template-parser.ts';
export { TemplateExecError } from './template-exec.ts';
export type { MissingKey, TemplateFunc } from './template-exec.ts';

export interface TemplateOptions {
  /** Template name in messages; docker's are anonymous (""). */
  name?: string;
  /** Extra functions (docker's version template adds getDetailsOrder). */
  funcs?: Record<string, TemplateFunc>;
}

export interface ExecuteOptions {
  missingKey?: MissingKey;
  /** Replaces functions for this run (table headers). */
  funcs?: Record<string, TemplateFunc>;
  /** Go field names accepted for differently spelled JSON keys (see GO_FIELD_ALIASES). */
  aliases?: Readonly<Record<string, string>>;
}

/**
 * docker runs templates on its Go structs first, whose field names differ
 * from the JSON keys in a few places ({{.ID}} for "Id", {{.HostConfig.DNS}}
 * for "Dns"); berth's data is the JSON, so both spellings are accepted.
 */
export const GO_FIELD_ALIASES: Readonly<Record<string, string>> = {
  ID: 'Id', APIVersion: 'ApiVersion', DNS: 'Dns', DNSOptions: 'DnsOptions', DNSSearch: 'DnsSearch',
  CPUShares: 'CpuShares', CPUPeriod: 'CpuPeriod', CPUQuota: 'CpuQuota', CPURealtimePeriod: 'CpuRealtimePeriod',
  CPURealtimeRuntime: 'CpuRealtimeRuntime', CPUCount: 'CpuCount', CPUPercent: 'CpuPercent', NanoCPUs: 'NanoCpus',
  HTTPProxy: 'HttpProxy', HTTPSProxy: 'HttpsProxy', ParentID: 'ParentId',
};

export class Template {
  readonly source: string;
  readonly name: string;
  #nodes: Node[];
  #funcs: Record<string, TemplateFunc>;

  /** Parses at once: a syntax error throws TemplateParseError. */
  constructor(source: string, opts: TemplateOptions = {}) {
    this.source = source;
    this.name = opts.name ?? '';
    this.#funcs = { ...builtinFuncs, ...dockerFuncs, ...opts.funcs };
    this.#nodes = parseTemplate(source, this.name, new Set(Object.keys(this.#funcs)));
  }

  /** Runs the template and returns what was written before any error (docker's table headers). */
  executePartial(data: unknown, opts: ExecuteOptions = {}): string {
    return this.#run(data, opts, true);
  }

  /** Runs the template; an evaluation error throws TemplateExecError. */
  execute(data: unknown, opts: ExecuteOptions = {}): string {
    return this.#run(data, opts, false);
  }

  #run(data: unknown, opts: ExecuteOptions, partial: boolean): string {
    return execute(this.#nodes, data, {
      name: this.name,
      source: this.source,
      funcs: { ...this.#funcs, ...opts.funcs },
      missingKey: opts.missingKey ?? 'default',
      aliases: opts.aliases,
      ...(partial ? { partial: true } : {}),
    });
  }
}
