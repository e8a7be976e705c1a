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

{{/*
cert-manager Certificates as a JSON list, for a Job to apply (certs-request.sh):
each of .certificates with its .spec, plus the in-cluster forms of its
.clusterDnsNames (name, name.<ns>, name.<ns>.svc, name.<ns>.svc.<domain>).
Called with (dict "root" $ "certificates" LIST "labels" DICT).
*/}}
{{- define "kafkac.certManagerCertificates" -}}
{{- $root := .root }}
{{- $namespace := $root.Release.Namespace }}
{{- $domain := $root.Values.certificates.clusterDomain }}
{{- $labels := .labels }}
{{- $manifests := list }}
{{- range .certificates }}
{{- $spec := deepCopy .spec }}
{{- $names := list }}
{{- range .clusterDnsNames }}
{{- $names = concat $names (list . (printf "%s.%s" . $namespace) (printf "%s.%s.svc" . $namespace) (printf "%s.%s.svc.%s" . $namespace $domain)) }}
{{- end }}
{{- with concat $names ($spec.dnsNames | default list) }}
{{- $_ := set $spec "dnsNames" . }}
{{- end }}
{{- $_ := set $spec "secretTemplate" (dict "labels" $labels) }}
{{- $manifests = append $manifests (dict "apiVersion" "cert-manager.io/v1" "kind" "Certificate" "metadata" (dict "name" .name "namespace" $namespace "labels" $labels) "spec" $spec) }}
{{- end }}
{{- toJson $manifests }}
{{- end }}
