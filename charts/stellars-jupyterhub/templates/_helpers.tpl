{{/*
Names and labels shared by every template of the chart.
*/}}

{{/* Chart name, overridable (used in object names only). */}}
{{- define "stellars-jupyterhub.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Prefix of every object name: "<release>-<chart>", or the release name alone when it already
contains the chart name. Truncated so that suffixes such as "-operator" still fit in 63.
*/}}
{{- define "stellars-jupyterhub.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- $name := include "stellars-jupyterhub.name" . }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 50 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 50 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* "<chart>-<version>" for the helm.sh/chart label. */}}
{{- define "stellars-jupyterhub.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Name of the operator's Deployment, ServiceAccount and (Cluster)Roles. */}}
{{- define "stellars-jupyterhub.operatorName" -}}
{{- printf "%s-operator" (include "stellars-jupyterhub.fullname" .) }}
{{- end }}

{{- define "stellars-jupyterhub.serviceAccountName" -}}
{{- if .Values.operator.serviceAccount.create }}
{{- default (include "stellars-jupyterhub.operatorName" .) .Values.operator.serviceAccount.name }}
{{- else }}
{{- required "operator.serviceAccount.name is required when operator.serviceAccount.create is false" .Values.operator.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
Standard labels on every object of the release: the operator's five (docs/architecture.md,
"Names and labels"), with Helm as the manager, plus Helm's chart label.
*/}}
{{- define "stellars-jupyterhub.labels" -}}
helm.sh/chart: {{ include "stellars-jupyterhub.chart" . }}
app.kubernetes.io/name: stellars-jupyterhub
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: stellars-jupyterhub-ds
{{- end }}

{{/* Labels of the operator's objects. */}}
{{- define "stellars-jupyterhub.operatorLabels" -}}
{{ include "stellars-jupyterhub.labels" . }}
app.kubernetes.io/component: operator
{{- end }}

{{/* Selector of the operator's pod: stable across chart versions (a selector is immutable). */}}
{{- define "stellars-jupyterhub.operatorSelectorLabels" -}}
app.kubernetes.io/name: stellars-jupyterhub
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/* Operator image reference; the tag defaults to the chart's appVersion. */}}
{{- define "stellars-jupyterhub.operatorImage" -}}
{{- printf "%s:%s" .Values.operator.image.repository (default .Chart.AppVersion .Values.operator.image.tag) }}
{{- end }}

{{/*
Pod and container security contexts of every pod that runs the operator image: the image's
non-root user (uid 1000), read-only root filesystem, no privilege escalation, no capabilities.
*/}}
{{- define "stellars-jupyterhub.podSecurityContext" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 1000
  runAsGroup: 1000
  seccompProfile:
    type: RuntimeDefault
{{- end }}

{{- define "stellars-jupyterhub.containerSecurityContext" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 1000
  runAsGroup: 1000
  readOnlyRootFilesystem: true
  allowPrivilegeEscalation: false
  capabilities:
    drop:
      - ALL
  seccompProfile:
    type: RuntimeDefault
{{- end }}

{{/*
Namespace of the hub (hub.create). Not the operator's: a hub's ServiceAccount may create pods in
its namespace, and there they could run as the operator's ServiceAccount (docs/security.md).
`hub.namespace`, else a hub this release already made in the release namespace (an install from
before hubs moved out stays where its users' volumes are), else "<release namespace>-hub".
*/}}
{{- define "stellars-jupyterhub.hubNamespace" -}}
{{- if .Values.hub.namespace -}}
{{- .Values.hub.namespace -}}
{{- else if (lookup "stellars.io/v1alpha1" "StellarsHub" .Release.Namespace .Values.hub.name) -}}
{{- .Release.Namespace -}}
{{- else -}}
{{- printf "%s-hub" .Release.Namespace | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end }}

{{/* The ClusterRole each hub is bound to in its namespace (templates/hub-clusterrole.yaml). */}}
{{- define "stellars-jupyterhub.hubClusterRole" -}}
{{- printf "%s-hub" (include "stellars-jupyterhub.fullname" .) }}
{{- end }}

{{/*
The operator's leader Lease, in the release namespace. One name for every release: two releases
in one namespace share it, so only one of their operators writes at a time.
*/}}
{{- define "stellars-jupyterhub.leaderLease" -}}
stellars-operator
{{- end }}

{{/* Name of the uninstall hook's ServiceAccount, Role, RoleBinding and Job. */}}
{{- define "stellars-jupyterhub.deleteHookName" -}}
{{- printf "%s-hub-delete" (include "stellars-jupyterhub.fullname" .) }}
{{- end }}

{{/*
metadata of each object of the uninstall hook: a pre-delete hook, removed once it succeeded.
Call with (dict "root" $ "weight" "-10"): Helm creates lower weights first.
*/}}
{{- define "stellars-jupyterhub.deleteHookMetadata" -}}
name: {{ include "stellars-jupyterhub.deleteHookName" .root }}
namespace: {{ .namespace | default .root.Release.Namespace }}
labels:
  {{- include "stellars-jupyterhub.operatorLabels" .root | nindent 2 }}
annotations:
  helm.sh/hook: pre-delete
  helm.sh/hook-weight: {{ .weight | quote }}
  helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
{{- end }}

{{/* Port of the operator's liveness endpoint (`--liveness http://0.0.0.0:8080/healthz`). */}}
{{- define "stellars-jupyterhub.healthPort" -}}
8080
{{- end }}

{{/*
Fails the render when values contradict each other in ways the values schema cannot express.
*/}}
{{- define "stellars-jupyterhub.validate" -}}
{{- $hubNamespace := include "stellars-jupyterhub.hubNamespace" . }}
{{- if and .Values.hub.create .Values.watchNamespaces (not (has $hubNamespace .Values.watchNamespaces)) }}
{{- fail (printf "hub.create is true but the hub's namespace %q is not in watchNamespaces %v: the operator would never see the hub; add it to watchNamespaces" $hubNamespace .Values.watchNamespaces) }}
{{- end }}
{{- end }}
