{{/*
The operator's permissions, in two sets.

Cluster-scoped reads (always a ClusterRole): they cannot be granted by a Role.
operator/stellars_operator/kube.py lists every kind the operator touches;
tests/chart/test_chart_rbac.py keeps these rules in step with it and with the hub's Role.
Namespaced rules: a ClusterRole bound cluster-wide when every namespace is watched, or a Role in
each namespace of `watchNamespaces`.

Least privilege: kopf's own needs and the verbs the operator's code uses, each rule naming the
code path (tests/chart/test_chart_rbac.py holds the same table and compares). The hub's rules are
not among them: the operator binds the chart's ClusterRole for hubs, which `bind` allows.
*/}}

{{- define "stellars-jupyterhub.clusterRules" -}}
# GPU detection: node labels and allocatable nvidia.com/gpu.
- apiGroups: [""]
  resources: ["nodes"]
  verbs: ["get", "list", "watch"]
# Preflight: a spec naming a StorageClass that does not exist is reported as Degraded.
- apiGroups: ["storage.k8s.io"]
  resources: ["storageclasses"]
  verbs: ["get"]
# kopf: discovers its resources through the CRDs and follows namespaces.
- apiGroups: ["apiextensions.k8s.io"]
  resources: ["customresourcedefinitions"]
  verbs: ["list", "watch"]
- apiGroups: [""]
  resources: ["namespaces"]
  verbs: ["list", "watch"]
{{- end }}

{{- define "stellars-jupyterhub.namespacedRules" -}}
# kopf: the watched resource (finalizer and progress annotations are patches), its status, and
# its finalizers (the owner references the operator sets block deletion; clusters with
# OwnerReferencesPermissionEnforcement check this).
- apiGroups: ["stellars.io"]
  resources: ["stellarshubs"]
  verbs: ["get", "list", "watch", "patch"]
- apiGroups: ["stellars.io"]
  resources: ["stellarshubs/status"]
  verbs: ["patch"]
- apiGroups: ["stellars.io"]
  resources: ["stellarshubs/finalizers"]
  verbs: ["update"]
# kopf posts events on the StellarsHub.
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
# Children the operator renders: applied (server-side apply: patch, and create for a new one),
# observed through watches (list, watch; get for the rest), pruned (delete).
- apiGroups: [""]
  resources: ["serviceaccounts", "configmaps", "services"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses", "networkpolicies"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["rolebindings"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# The hub's Secret is applied and observed, never pruned (garbage collection takes it with the
# hub); `get` also reads the Secret a spec names for the admin password.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create", "patch"]
# Claims: created once (apply), observed, deleted only when a hub asks for its users' data to
# go with it (spec.storage.deleteUserDataOnHubDelete).
- apiGroups: [""]
  resources: ["persistentvolumeclaims"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# User servers are stopped when their hub is deleted.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list", "delete"]
# The Role `<hub>-hub` an older operator made is pruned once (hubs are bound to a ClusterRole).
- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["roles"]
  verbs: ["list", "watch", "delete"]
# Each hub's RoleBinding binds the hubs' ClusterRole: the operator may bind that one, and holds
# none of its rules.
- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["clusterroles"]
  resourceNames: [{{ include "stellars-jupyterhub.hubClusterRole" . | quote }}]
  verbs: ["bind"]
{{- end }}
