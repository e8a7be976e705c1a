{{/*
Labels on every object: the cluster's labels from values plus Helm's own.
Selectors never include these, only .selectorLabels, so an upgrade never
changes a selector.
*/}}
{{- define "kafkac.labels" -}}
{{ toYaml .Values.commonLabels }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}
