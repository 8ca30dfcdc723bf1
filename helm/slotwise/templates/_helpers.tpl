{{- define "slotwise.labels" -}}
app.kubernetes.io/name: slotwise
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "slotwise.env" -}}
- name: DATABASE_URL
  valueFrom: {secretKeyRef: {name: {{ .Values.existingSecret }}, key: DATABASE_URL}}
- name: SLOTWISE_SECRET_KEY
  valueFrom: {secretKeyRef: {name: {{ .Values.existingSecret }}, key: SLOTWISE_SECRET_KEY}}
{{- range $name, $value := .Values.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{- /* The GraphQL endpoint's settings (booking/settings/graphql.py), for the API. */ -}}
{{- define "slotwise.graphqlEnv" -}}
- name: SLOTWISE_GRAPHQL_PERSISTED_ONLY
  value: {{ .Values.graphql.persistedOnly | toString | quote }}
- name: SLOTWISE_GRAPHQL_INTROSPECTION
  value: {{ .Values.graphql.introspection | toString | quote }}
- name: SLOTWISE_GRAPHQL_MAX_DEPTH
  value: {{ .Values.graphql.maxDepth | int | quote }}
- name: SLOTWISE_GRAPHQL_MAX_ALIASES
  value: {{ .Values.graphql.maxAliases | int | quote }}
- name: SLOTWISE_GRAPHQL_MAX_COST
  value: {{ .Values.graphql.maxCost | int | quote }}
{{- with .Values.redis.url }}
- name: SLOTWISE_REDIS_URL
  value: {{ . | quote }}
- name: SLOTWISE_REDIS_PREFIX
  value: {{ $.Values.redis.prefix | quote }}
{{- end }}
{{- end -}}

{{- define "slotwise.persistedQueriesName" -}}
{{ .Release.Name }}-graphql-persisted-queries
{{- end -}}
