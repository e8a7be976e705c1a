{{/*
Labels on every object: the Connect's labels from values plus Helm's own.
Selectors never include these, only .Values.workers.selectorLabels.
*/}}
{{- define "kafkac.labels" -}}
{{ toYaml .Values.commonLabels }}
{{ include "kafkac.helmLabels" . }}
{{- end }}

{{- define "kafkac.helmLabels" -}}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The labels of an object with a template section's own: each key once, with the
value of the first of .layers that sets it, then Helm's; a template's label
replaces one copied from the Connect, as in Strimzi.
Called with (dict "root" $ "layers" (list MAP ...)), highest precedence first.
*/}}
{{- define "kafkac.mergedLabels" -}}
{{- $labels := dict -}}
{{- range .layers }}
{{- $labels = merge $labels (. | default dict) -}}
{{- end -}}
{{ toYaml $labels }}
{{ include "kafkac.helmLabels" .root }}
{{- end }}

{{/* metadata.labels and annotations of an object, with a template section's extra metadata. */}}
{{- define "kafkac.metadata" -}}
name: {{ .values.name | toJson }}
namespace: {{ .root.Release.Namespace }}
labels:
  {{- include "kafkac.mergedLabels" (dict "root" .root "layers" (list .values.labels .root.Values.commonLabels)) | nindent 2 }}
{{- with .values.annotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
