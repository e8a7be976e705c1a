{{/*
The environment every Job that talks to Kafka gets from .Values.kafkaClient:
the brokers to bootstrap from (each pod's own address on the replication
listener), the client properties without secrets, and the file that holds the
key store password. The Job's script writes the client's properties file.
*/}}
{{- define "kafkac.kafkaClient.env" -}}
{{- $hosts := list }}
{{- range .Values.kafkaClient.bootstrapHosts }}
{{- $hosts = append $hosts (printf "%s.%s.svc:%d" . $.Release.Namespace (int $.Values.kafkaClient.port)) }}
{{- end -}}
- name: KAFKAC_BOOTSTRAP_SERVERS
  value: {{ join "," $hosts | toJson }}
- name: KAFKAC_CLIENT_PROPERTIES
  value: {{ .Values.kafkaClient.properties | toJson }}
- name: KAFKAC_CLIENT_KEY_STORE_PASSWORD_FILE
  value: {{ .Values.kafkaClient.keyStorePasswordFile | toJson }}
{{- end }}
