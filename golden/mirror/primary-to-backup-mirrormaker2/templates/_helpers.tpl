{{/*
Labels on every object: the Connect's labels from values plus Helm's own.
Selectors never include these, only .Values.workers.selectorLabels.
*/}}
{{- define "kafkac.labels" -}}
{{ toYaml .Values.commonLabels }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* metadata.labels and annotations of an object, with a template section's extra metadata. */}}
{{- define "kafkac.metadata" -}}
name: {{ .values.name | toJson }}
namespace: {{ .root.Release.Namespace }}
labels:
  {{- with .values.labels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
  {{- include "kafkac.labels" .root | nindent 2 }}
{{- with .values.annotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}
