// `berth version --format` and the default version template where its data
// is not plain text (version-text.ts prints the rest without it): docker's
// template run by the template engine, which version.ts imports only then.

import type { TypedObject } from '../format/gofmt.ts';
import { GO_FIELD_ALIASES, Template, TemplateExecError, TemplateParseError } from '../format/template.ts';
import { StatusError } from '../errors.ts';

export const DEFAULT_TEMPLATE = `{{with .Client -}}
Client:{{if ne .Platform nil}}{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}{{end}}
 Version:\t{{.Version}}
 API version:\t{{.APIVersion}}{{if ne .APIVersion .DefaultAPIVersion}} (downgraded from {{.DefaultAPIVersion}}){{end}}
 Go version:\t{{.GoVersion}}
 Git commit:\t{{.GitCommit}}
 Built:\t{{.BuildTime}}
 OS/Arch:\t{{.Os}}/{{.Arch}}
 Context:\t{{.Context}}
{{- end}}

{{- if ne .Server nil}}{{with .Server}}

Server:{{if ne .Platform.Name ""}} {{.Platform.Name}}{{end}}
 {{- range $component := .Components}}
 {{$component.Name}}:
  {{- if eq $component.Name "Engine" }}
  Version:\t{{.Version}}
  API version:\t{{index .Details "ApiVersion"}} (minimum version {{index .Details "MinAPIVersion"}})
  Go version:\t{{index .Details "GoVersion"}}
  Git commit:\t{{index .Details "GitCommit"}}
  Built:\t{{index .Details "BuildTime"}}
  OS/Arch:\t{{index .Details "Os"}}/{{index .Details "Arch"}}
  Experimental:\t{{index .Details "Experimental"}}
  {{- else }}
  Version:\t{{$component.Version}}
  {{- $detailsOrder := getDetailsOrder $component}}
  {{- range $key := $detailsOrder}}
  {{$key}}:\t{{index $component.Details $key}}
   {{- end}}
  {{- end}}
 {{- end}}
 {{- end}}{{- end}}`;

/** docker's version template (DEFAULT_TEMPLATE, or --format's) with its getDetailsOrder function. */
export function parseTemplate(source: string): Template {
  try {
    return new Template(source, {
      name: 'version',
      funcs: { getDetailsOrder: (c) => Object.keys((c as { Details?: object }).Details ?? {}).sort() },
    });
  } catch (err) {
    if (err instanceof TemplateParseError) throw new StatusError(64, `template parsing error: ${err.message}`);
    throw err;
  }
}

/** The template's output over `data`; on an evaluation error, what it wrote before it and the error. */
export function runTemplate(tmpl: Template, data: TypedObject): { text: string; error?: TemplateExecError } {
  try {
    return { text: tmpl.execute(data, { aliases: GO_FIELD_ALIASES }) };
  } catch (err) {
    if (!(err instanceof TemplateExecError)) throw err;
    return { text: tmpl.executePartial(data, { aliases: GO_FIELD_ALIASES }), error: err };
  }
}
