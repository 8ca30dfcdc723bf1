{{- define "slotwise.labels" -}}
app.kubernetes.io/name: slotwise
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- /* What every container needs, the migrate Job's included: Django's settings do not even
load without the broker URL and the credentials key on a read-only filesystem (without them
they fall back to the embedded default and write under var/). All four come from the Secret. */ -}}
{{- define "slotwise.env" -}}
- name: DATABASE_URL
  valueFrom: {secretKeyRef: {name: {{ .Values.existingSecret }}, key: DATABASE_URL}}
- name: SLOTWISE_SECRET_KEY
  valueFrom: {secretKeyRef: {name: {{ .Values.existingSecret }}, key: SLOTWISE_SECRET_KEY}}
- name: SLOTWISE_CELERY_BROKER_URL
  valueFrom: {secretKeyRef: {name: {{ .Values.existingSecret }}, key: SLOTWISE_CELERY_BROKER_URL}}
- name: SLOTWISE_CREDENTIALS_KEY
  valueFrom: {secretKeyRef: {name: {{ .Values.existingSecret }}, key: SLOTWISE_CREDENTIALS_KEY}}
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
{{- end -}}

{{- /* The public endpoints' request limits (booking/settings/throttle.py), for the API. */ -}}
{{- define "slotwise.rateLimitsEnv" -}}
{{- with .Values.rateLimits }}
- name: SLOTWISE_PUBLIC_RATE_LIMITS
  value: {{ ternary "on" "off" .enabled | quote }}
- name: SLOTWISE_PUBLIC_RATE_LIMIT
  value: {{ .public | quote }}
- name: SLOTWISE_PUBLIC_READ_RATE_LIMIT
  value: {{ .publicReads | quote }}
- name: SLOTWISE_PUBLIC_EVENT_TYPE_RATE_LIMIT
  value: {{ .eventType | quote }}
- name: SLOTWISE_PUBLIC_EVENT_TYPE_READ_RATE_LIMIT
  value: {{ .eventTypeReads | quote }}
- name: SLOTWISE_TRUSTED_PROXY_COUNT
  value: {{ .trustedProxyCount | int | quote }}
{{- end }}
{{- end -}}

{{- /* The Redis every process shares (APQ, rate limits, circuit breakers, busy-time cache). */ -}}
{{- define "slotwise.redisEnv" -}}
{{- with .Values.redis.url }}
- name: SLOTWISE_REDIS_URL
  value: {{ . | quote }}
- name: SLOTWISE_REDIS_PREFIX
  value: {{ $.Values.redis.prefix | quote }}
{{- end }}
{{- end -}}

{{- /* Calendar providers' OAuth clients (booking/settings/providers.py): a provider is offered
only when its client id is set, so nothing is set for the others. */ -}}
{{- define "slotwise.oauthEnv" -}}
{{- range $provider := list "google" "microsoft" }}
{{- with dig $provider "clientId" "" $.Values.oauth }}
- name: {{ printf "SLOTWISE_%s_CLIENT_ID" (upper $provider) }}
  value: {{ . | quote }}
- name: {{ printf "SLOTWISE_%s_CLIENT_SECRET" (upper $provider) }}
  valueFrom:
    secretKeyRef:
      name: {{ $.Values.existingSecret }}
      key: {{ printf "SLOTWISE_%s_CLIENT_SECRET" (upper $provider) }}
      optional: true
{{- end }}
{{- end }}
{{- end -}}

{{- /* Outgoing mail (booking/settings/notifications.py). Without a host, the settings' own
default would write files under var/, which the read-only filesystem refuses: messages go to
the log instead (see email in values.yaml). */ -}}
{{- define "slotwise.emailEnv" -}}
{{- with .Values.email }}
{{- if .host }}
- name: SLOTWISE_EMAIL_HOST
  value: {{ .host | quote }}
- name: SLOTWISE_EMAIL_PORT
  value: {{ .port | int | quote }}
- name: SLOTWISE_EMAIL_USER
  value: {{ .user | default "" | quote }}
- name: SLOTWISE_EMAIL_PASSWORD
  valueFrom:
    secretKeyRef: {name: {{ $.Values.existingSecret }}, key: SLOTWISE_EMAIL_PASSWORD, optional: true}
- name: SLOTWISE_EMAIL_TLS
  value: {{ .tls | default false | toString | quote }}
- name: SLOTWISE_EMAIL_SSL
  value: {{ .ssl | default false | toString | quote }}
{{- else if not (hasKey $.Values.env "SLOTWISE_EMAIL_BACKEND") }}
- name: SLOTWISE_EMAIL_BACKEND
  value: console
{{- end }}
- name: SLOTWISE_EMAIL_FROM
  value: {{ .from | quote }}
- name: SLOTWISE_EMAILS_PER_ADDRESS_PER_HOUR
  value: {{ .perAddressPerHour | default 10 | toString | quote }}
{{- end }}
{{- end -}}

{{- /* How events reach the projectors (booking/settings/transport.py): projectors and relay. */ -}}
{{- define "slotwise.transportEnv" -}}
- name: SLOTWISE_EVENT_TRANSPORT
  value: {{ .Values.eventTransport | quote }}
{{- if eq .Values.eventTransport "kafka" }}
- name: SLOTWISE_KAFKA_BOOTSTRAP
  value: {{ .Values.kafka.bootstrap | quote }}
- name: SLOTWISE_KAFKA_TOPIC
  value: {{ .Values.kafka.topic | quote }}
- name: SLOTWISE_KAFKA_PARTITIONS
  value: {{ .Values.kafka.partitions | int | quote }}
{{- end }}
{{- end -}}

{{- define "slotwise.containerSecurityContext" -}}
runAsNonRoot: true
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
{{- end -}}

{{- /* A Deployment of one background process (no port, no Service): the projectors, the
dispatcher, the relay, a worker pool, the scheduler. Called with a dict:
  root        the chart's top context
  component   app.kubernetes.io/component, and the Deployment's name after the release's
  replicas    how many pods
  command     the container's command (a list of strings)
  resources   requests and limits
  strategy    the Deployment strategy type (RollingUpdate when not given)
  gracePeriod terminationGracePeriodSeconds (30 when not given)
  transport   true: also the event-transport settings
  scratch     a writable emptyDir at /tmp (the root filesystem is read-only)
*/ -}}
{{- define "slotwise.process" -}}
{{- $root := .root -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ $root.Release.Name }}-{{ .component }}
  labels:
    {{- include "slotwise.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  replicas: {{ .replicas | int }}
  strategy:
    type: {{ .strategy | default "RollingUpdate" }}
  selector:
    matchLabels:
      app.kubernetes.io/instance: {{ $root.Release.Name }}
      app.kubernetes.io/component: {{ .component }}
  template:
    metadata:
      labels:
        {{- include "slotwise.labels" $root | nindent 8 }}
        app.kubernetes.io/component: {{ .component }}
    spec:
      terminationGracePeriodSeconds: {{ .gracePeriod | default 30 | int }}
      {{- if gt (int .replicas) 1 }}
      topologySpreadConstraints:
        - maxSkew: 1
          topologyKey: kubernetes.io/hostname
          whenUnsatisfiable: ScheduleAnyway
          labelSelector:
            matchLabels:
              app.kubernetes.io/instance: {{ $root.Release.Name }}
              app.kubernetes.io/component: {{ .component }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: "{{ $root.Values.image.repository }}:{{ $root.Values.image.tag }}"
          imagePullPolicy: {{ $root.Values.image.pullPolicy | default "IfNotPresent" }}
          command:
            {{- range .command }}
            - {{ . | toString | quote }}
            {{- end }}
          env:
            {{- include "slotwise.env" $root | nindent 12 }}
            {{- $parts := list "slotwise.redisEnv" "slotwise.oauthEnv" "slotwise.emailEnv" }}
            {{- if .transport }}
            {{- $parts = append $parts "slotwise.transportEnv" }}
            {{- end }}
            {{- range $part := $parts }}
            {{- with include $part $root | trim }}
            {{- . | nindent 12 }}
            {{- end }}
            {{- end }}
          {{- if .scratch }}
          volumeMounts:
            - name: tmp
              mountPath: /tmp
          {{- end }}
          resources:
            {{- toYaml .resources | nindent 12 }}
          securityContext:
            {{- include "slotwise.containerSecurityContext" . | nindent 12 }}
      {{- if .scratch }}
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
      {{- end }}
{{- end -}}

{{- define "slotwise.persistedQueriesName" -}}
{{ .Release.Name }}-graphql-persisted-queries
{{- end -}}
