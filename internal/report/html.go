package report

import (
	"html/template"
	"strings"
)

// The HTML renderer is an html/template: every value is escaped for its
// context, nothing from the incident is ever marked as safe HTML, and href
// attributes only receive what linkTarget allows (absolute http or https
// URLs; from incident data, Microsoft portal links only). Everything else a
// link could carry is rendered as text. The fragment form uses only simple
// tags that Sentinel renders in incident comments.

const htmlTemplates = `
{{- define "span" -}}
{{- if eq .Kind "code" -}}<code>{{.Text}}</code>
{{- else if eq .Kind "strong" -}}<strong>{{.Text}}</strong>
{{- else if eq .Kind "em" -}}<em>{{.Text}}</em>
{{- else if eq .Kind "link" -}}
{{- $u := href . -}}
{{- if $u -}}<a href="{{$u}}" rel="noopener noreferrer">{{.Text}}</a>
{{- else -}}{{.Text}}{{if and .URL (ne .URL .Text)}} <code>{{.URL}}</code>{{end}}{{end -}}
{{- else -}}{{.Text}}
{{- end -}}
{{- end -}}

{{- define "line" -}}{{range .}}{{template "span" .}}{{end}}{{- end -}}

{{- define "lines" -}}{{range $i, $l := .}}{{if $i}}<br>{{end}}{{$l}}{{end}}{{- end -}}

{{- define "field" -}}<li><strong>{{.Label}}:</strong> {{template "line" .Value}}</li>{{- end -}}

{{- define "item" -}}
<li>{{template "line" .Head}}
{{- range .Body}}<p>{{template "lines" .}}</p>{{end}}
{{- range .Code}}<pre><code>{{.}}</code></pre>{{end}}
{{- if or .Fields .Notes}}
<ul>
{{- range .Fields}}
{{template "field" .}}
{{- end}}
{{- range .Notes}}
<li>{{template "line" .}}</li>
{{- end}}
</ul>
{{- end}}</li>
{{- end -}}

{{- define "block" -}}
{{- if .Title}}<h3>{{.Title}}</h3>
{{end -}}
{{- if .IsPara}}<p>{{template "line" .Line}}</p>
{{else if .IsText}}{{range .Paras}}<p>{{template "lines" .}}</p>
{{end}}
{{- else if .IsFields}}<ul>
{{- range .Fields}}
{{template "field" .}}
{{- end}}
</ul>
{{else if .IsItems}}<ul>
{{- range .Items}}
{{template "item" .}}
{{- end}}
</ul>
{{else if .IsList}}<ul>
{{- range .Lines}}
<li>{{template "line" .}}</li>
{{- end}}
</ul>
{{else if .IsNumbered}}<ol>
{{- range .Lines}}
<li>{{template "line" .}}</li>
{{- end}}
</ol>
{{else if .IsTable}}{{with .Table}}{{$t := .}}<table>
<thead><tr>{{range $i, $h := .Head}}<th{{if $t.RightAt $i}} style="text-align:right"{{end}}>{{$h}}</th>{{end}}</tr></thead>
<tbody>
{{- range .Rows}}
<tr>{{range $i, $c := .}}<td{{if $t.RightAt $i}} style="text-align:right"{{end}}>{{template "line" $c}}</td>{{end}}</tr>
{{- end}}
</tbody>
</table>
{{end}}{{end}}
{{- end -}}

{{- define "doc" -}}
<h1>{{.Title}}</h1>
{{with .Notice}}<p><em>{{.}}</em></p>
{{end -}}
{{range .Sections}}<h2>{{.Heading}}</h2>
{{range .Blocks}}{{template "block" .}}{{end}}
{{- end -}}
<hr>
<p><small>{{.Footer}}</small></p>
{{end -}}

{{- define "fragment" -}}{{template "doc" .}}{{- end -}}

{{- define "page" -}}
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45;color:#1b1b1b}
code,pre{font-family:ui-monospace,Consolas,monospace;font-size:.9em}
code{background:#f2f2f2;padding:0 .2em;overflow-wrap:anywhere}
pre{background:#f2f2f2;padding:.5em;overflow-x:auto;white-space:pre-wrap}
table{border-collapse:collapse}
th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}
h2{border-bottom:1px solid #ddd;margin-top:2rem}
</style>
</head>
<body>
{{template "doc" .}}</body>
</html>
{{end -}}
`

var htmlTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"href": linkTarget,
}).Parse(htmlTemplates))

// renderHTML writes a document as a standalone page, or as a fragment for
// an incident comment.
func renderHTML(d *doc, fragment bool) (string, error) {
	name := "page"
	if fragment {
		name = "fragment"
	}
	var b strings.Builder
	if err := htmlTmpl.ExecuteTemplate(&b, name, d); err != nil {
		return "", err
	}
	return b.String(), nil
}
