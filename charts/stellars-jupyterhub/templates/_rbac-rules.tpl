{{/*
The operator's permissions, in two sets.

Cluster-scoped reads (always a ClusterRole): they cannot be granted by a Role.
operator/stellars_operator/kube.py lists every kind the operator touches;
tests/chart/test_chart_rbac.py keeps these rules in step with it and with the hub's Role.
Namespaced rules: a ClusterRole bound cluster-wide when every namespace is watched, or a Role in
each namespace of `watchNamespaces`.

Least privilege: kopf's own needs, plus the verbs the operator uses on the kinds it creates,
plus everything the hub's Role grants (operator/stellars_operator/render/rbac.py), because
Kubernetes refuses to let anyone create a Role granting permissions they do not hold.
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
# kopf: the watched resource, its status subresource, and its finalizers (the owner references
# the operator sets block deletion; clusters with OwnerReferencesPermissionEnforcement check this).
- apiGroups: ["stellars.io"]
  resources: ["stellarshubs"]
  verbs: ["get", "list", "watch", "patch", "update"]
- apiGroups: ["stellars.io"]
  resources: ["stellarshubs/status"]
  verbs: ["get", "patch", "update"]
- apiGroups: ["stellars.io"]
  resources: ["stellarshubs/finalizers"]
  verbs: ["update"]
# kopf posts events on the StellarsHub; the hub's Role reads events (KubeSpawner's spawn progress).
- apiGroups: [""]
  resources: ["events"]
  verbs: ["get", "list", "watch", "create", "patch"]
# Children the operator renders and applies (server-side apply = patch), prunes (delete) and
# observes (get/list/watch).
- apiGroups: [""]
  resources: ["serviceaccounts", "secrets", "configmaps", "persistentvolumeclaims", "services"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["rbac.authorization.k8s.io"]
  resources: ["roles", "rolebindings"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
- apiGroups: ["networking.k8s.io"]
  resources: ["ingresses", "networkpolicies"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
# User pods: stopped on hub deletion; the hub's Role lets KubeSpawner manage them.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["get", "list", "watch", "create", "update", "patch", "delete"]
{{- end }}
