{{/* Chart name, overridable. */}}
{{- define "switchyard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name: the release name when it already contains the chart name. */}}
{{- define "switchyard.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "switchyard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "switchyard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "switchyard.labels" -}}
{{ include "switchyard.selectorLabels" . }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector of the migration Job's pods (kept apart from the gateway's). */}}
{{- define "switchyard.migrateSelectorLabels" -}}
app.kubernetes.io/name: {{ include "switchyard.name" . }}-migrate
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "switchyard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "switchyard.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "switchyard.secretName" -}}
{{- default (include "switchyard.fullname" .) .Values.secrets.existingSecret -}}
{{- end -}}

{{- define "switchyard.providerKeysSecret" -}}
{{- default (printf "%s-provider-keys" (include "switchyard.fullname" .)) .Values.secrets.providerKeysSecret -}}
{{- end -}}

{{- define "switchyard.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* One secret-backed environment variable. Arguments: (list ROOT NAME KEY). */}}
{{- define "switchyard.secretEnv" -}}
{{- $root := index . 0 -}}
- name: {{ index . 1 }}
  valueFrom:
    secretKeyRef:
      name: {{ include "switchyard.secretName" $root }}
      key: {{ index . 2 }}
{{- end -}}

{{/* Volumes shared by the gateway pods and the migration Job. */}}
{{- define "switchyard.configVolume" -}}
- name: config
  configMap:
    name: {{ include "switchyard.fullname" . }}
{{- end -}}

{{- define "switchyard.checkovSkips" -}}
checkov.io/skip1: CKV_K8S_43=The image is pinned by tag by default; set image.digest when promoting a build.
checkov.io/skip2: CKV_K8S_35=Switchyard reads its secrets from SWITCHYARD_* environment variables (SPEC section 1); it has no file-based secret input.
{{- end -}}
