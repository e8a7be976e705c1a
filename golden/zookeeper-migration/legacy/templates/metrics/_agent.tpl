{{- /* The init container that copies the JMX exporter's javaagent, or Strimzi's metrics
     reporter and its libraries, into the pod (see metrics.agent). */}}
{{- define "kafkac.metricsAgentContainer" -}}
- name: {{ .agent.container.name | toJson }}
  image: {{ .agent.image.name | toJson }}
  imagePullPolicy: {{ .agent.image.pullPolicy | toJson }}
  command:
    {{- toYaml .agent.container.command | nindent 4 }}
  env:
    - name: KAFKAC_AGENT_SOURCE
      value: {{ .agent.source | toJson }}
    {{- toYaml .agent.container.env | nindent 4 }}
  resources:
    {{- toYaml .agent.container.resources | nindent 4 }}
  securityContext:
    {{- toYaml .agent.container.securityContext | nindent 4 }}
  volumeMounts:
    {{- toYaml .agent.container.volumeMounts | nindent 4 }}
{{- end }}
