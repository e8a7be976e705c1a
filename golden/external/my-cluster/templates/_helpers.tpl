{{/*
Labels on every object: the cluster's labels from values plus Helm's own.
Selectors never include these, only .selectorLabels, so an upgrade never
changes a selector.
*/}}
{{- define "kafkac.labels" -}}
{{ toYaml .Values.commonLabels }}
{{ include "kafkac.helmLabels" . }}
{{- end }}

{{/*
The labels of an object that has its own besides the cluster's (a template
section's metadata, a listener's labels, a pool's): each key once, with the value
of the first of .layers that sets it, then Helm's. A template's label replaces one
copied from the Kafka, as in Strimzi; the planner keeps the strimzi.io/ and
app.kubernetes.io/ keys that selectors and tools rely on out of the template layers.
Called with (dict "root" $ "layers" (list MAP ...)), highest precedence first;
"helm" false leaves Helm's labels out.
*/}}
{{- define "kafkac.mergedLabels" -}}
{{- $labels := dict -}}
{{- range .layers }}
{{- $labels = merge $labels (. | default dict) -}}
{{- end -}}
{{ toYaml $labels }}
{{- if ne (toString .helm) "false" }}
{{ include "kafkac.helmLabels" .root }}
{{- end }}
{{- end }}

{{/*
Helm's own labels, for objects whose other labels are not the Kafka nodes' (ZooKeeper's).
*/}}
{{- define "kafkac.helmLabels" -}}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Each of .names in the four forms it has inside the cluster (name, name.<ns>,
name.<ns>.svc, name.<ns>.svc.<domain>), separated by blanks: what the node
certificate covers, issued by the chart's Job or by cert-manager.
Called with (dict "names" LIST "namespace" NS "domain" DOMAIN).
*/}}
{{- define "kafkac.inClusterDnsNames" -}}
{{- $namespace := .namespace }}
{{- $domain := .domain }}
{{- $forms := list }}
{{- range .names }}
{{- $forms = concat $forms (list . (printf "%s.%s" . $namespace) (printf "%s.%s.svc" . $namespace) (printf "%s.%s.svc.%s" . $namespace $domain)) }}
{{- end }}
{{- join " " $forms }}
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
{{- with .clusterDnsNames }}
{{- $names = splitList " " (include "kafkac.inClusterDnsNames" (dict "names" . "namespace" $namespace "domain" $domain)) }}
{{- end }}
{{- with concat $names ($spec.dnsNames | default list) }}
{{- $_ := set $spec "dnsNames" . }}
{{- end }}
{{- $_ := set $spec "secretTemplate" (dict "labels" $labels) }}
{{- $manifests = append $manifests (dict "apiVersion" "cert-manager.io/v1" "kind" "Certificate" "metadata" (dict "name" .name "namespace" $namespace "labels" $labels) "spec" $spec) }}
{{- end }}
{{- toJson $manifests }}
{{- end }}

{{/*
The `request` step of a Job with cert-manager Certificates to ask for
(files/certs-request.sh, in the kubectl image). Called with (dict "job" JOB
"scriptsDir" DIR "env" LIST "mounts" LIST "waitSeconds" N).
*/}}
{{- define "kafkac.certManagerRequestContainer" -}}
- name: request
  image: {{ .job.kubectlImage.name | toJson }}
  imagePullPolicy: {{ .job.kubectlImage.pullPolicy | toJson }}
  command:
    - /bin/bash
    - {{ printf "%s/certs-request.sh" .scriptsDir | toJson }}
  env:
    {{- toYaml .env | nindent 4 }}
    - name: KAFKAC_CERTIFICATES_FILE
      value: {{ printf "%s/cert-manager-certificates.json" .scriptsDir | toJson }}
    - name: KAFKAC_CERT_MANAGER_WAIT_SECONDS
      value: {{ .waitSeconds | toString | toJson }}
  resources:
    {{- toYaml .job.kubectlResources | nindent 4 }}
  securityContext:
    {{- toYaml .job.containerSecurityContext | nindent 4 }}
  volumeMounts:
    {{- toYaml .mounts | nindent 4 }}
{{- end }}

{{/*
The Role rules of a Job that asks for cert-manager Certificates: create them
(Kubernetes cannot limit create to names), and read and update only those it
asks for, by name. Called with the list of certificates.
*/}}
{{- define "kafkac.certManagerRules" -}}
- apiGroups: ["cert-manager.io"]
  resources: ["certificates"]
  verbs: ["create"]
- apiGroups: ["cert-manager.io"]
  resources: ["certificates"]
  verbs: ["get", "update"]
  resourceNames:
    {{- range . }}
    - {{ .name | toJson }}
    {{- end }}
{{- end }}
