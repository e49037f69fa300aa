"""Value sets the chart supports, shared by the render, lint and RBAC tests."""

from __future__ import annotations

from typing import Any

from tests.chart.chart_render import NAMESPACE, RELEASE

OPERATOR = f"{RELEASE}-stellars-jupyterhub-operator"
STANDARD_LABELS = {
    "app.kubernetes.io/name": "stellars-jupyterhub",
    "app.kubernetes.io/instance": RELEASE,
    "app.kubernetes.io/version": "0.1.0",
    "app.kubernetes.io/managed-by": "Helm",
    "app.kubernetes.io/part-of": "stellars-jupyterhub-ds",
}

# Value sets the chart supports; each must render and validate against Kubernetes 1.33.
VALUE_SETS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "hub": {"hub": {"create": True}},
    "watch-namespaces": {
        "watchNamespaces": [NAMESPACE, "team-a", "team-b"],
        "hub": {"create": True, "name": "lab", "namespace": "team-a"},
    },
    "custom-resources": {
        "operator": {
            "resources": {
                "requests": {"cpu": "200m", "memory": "300Mi"},
                "limits": {"cpu": 1, "memory": "1Gi", "ephemeral-storage": "1Gi"},
            },
            "extraArgs": ["--verbose"],
            "extraEnv": [
                {"name": "TZ", "value": "UTC"},
                {"name": "NODE", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}},
            ],
            "imagePullSecrets": ["registry-credentials"],
            "podAnnotations": {"example.org/team": "data"},
            "podLabels": {"team": "data"},
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "tolerations": [{"key": "dedicated", "operator": "Exists", "effect": "NoSchedule"}],
            "affinity": {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {
                                "matchExpressions": [
                                    {
                                        "key": "kubernetes.io/arch",
                                        "operator": "In",
                                        "values": ["amd64"],
                                    }
                                ]
                            }
                        ]
                    }
                }
            },
            "priorityClassName": "system-cluster-critical",
            "image": {"tag": "0.1.0-dev", "pullPolicy": "Never"},
        },
    },
    "ingress-hub": {
        "hub": {
            "create": True,
            "name": "team",
            "labels": {"team": "data"},
            "annotations": {"example.org/owner": "data-team"},
            "spec": {
                "notebookImage": "stellars/jupyterlab-slim:0.1.0",
                "baseUrl": "/hub-team",
                "admin": {"name": "boss"},
                "storage": {"storageClass": "local-path", "workspace": "10Gi"},
                "exposure": {
                    "ingress": {
                        "enabled": True,
                        "className": "nginx",
                        "host": "hub.example.org",
                        "tlsSecretName": "hub-example-org-tls",
                    }
                },
            },
        }
    },
    "existing-service-account": {
        "operator": {"serviceAccount": {"create": False, "name": "platform-operator"}},
        "rbac": {"create": False},
        "fullnameOverride": "platform",
    },
}
