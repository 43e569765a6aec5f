{{/* Chart name, shortened to fit label values. */}}
{{- define "sovereign-placement.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Base name of every object. With the release name `sovereign-placement` (the documented one) it is
`sovereign-placement`, and the derived names are the operator's defaults: Lease
`sovereign-placement-leader`, Secret `sovereign-placement-webhook-tls`, Service
`sovereign-placement-webhook`, MutatingWebhookConfiguration `sovereign-placement`.
Kept to 40 characters so that every derived name stays a valid label value and DNS label.
*/}}
{{- define "sovereign-placement.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "sovereign-placement.webhookServiceName" -}}
{{ include "sovereign-placement.fullname" . }}-webhook
{{- end }}

{{- define "sovereign-placement.metricsServiceName" -}}
{{ include "sovereign-placement.fullname" . }}-metrics
{{- end }}

{{- define "sovereign-placement.webhookSecretName" -}}
{{ include "sovereign-placement.fullname" . }}-webhook-tls
{{- end }}

{{- define "sovereign-placement.leaseName" -}}
{{ include "sovereign-placement.fullname" . }}-leader
{{- end }}

{{- define "sovereign-placement.webhookConfigurationName" -}}
{{ include "sovereign-placement.fullname" . }}
{{- end }}

{{- define "sovereign-placement.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sovereign-placement.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of every object. deploy/base is rendered from these (scripts/render-deploy.ts rewrites the Helm-only ones). */}}
{{- define "sovereign-placement.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "sovereign-placement.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sovereign-placement
{{- end }}

{{- define "sovereign-placement.image" -}}
{{- if .Values.image.digest -}}
{{ .Values.image.repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}
{{- end }}

{{/*
Fails, with a message saying what to install or which value to turn off, when a feature's API is
missing from the cluster. Only when the chart is installed against a cluster (the lookup of kube-system
answers): rendered offline (`helm template`, Argo CD), the chart cannot know and renders as asked.
Without this, Helm's own error is "no matches for kind Certificate in version cert-manager.io/v1".
Arguments: (list $ value api what-to-install hint-after-turning-it-off).
*/}}
{{- define "sovereign-placement.requireApi" -}}
{{- $root := index . 0 }}
{{- $value := index . 1 }}
{{- $api := index . 2 }}
{{- $what := index . 3 }}
{{- $hint := index . 4 }}
{{- if and (lookup "v1" "Namespace" "" "kube-system") (not ($root.Capabilities.APIVersions.Has $api)) }}
{{- fail (printf "%s=true needs %s, but this cluster does not serve %s: install %s first, or set %s=false%s" $value $what $api $what $value $hint) }}
{{- end }}
{{- end }}
