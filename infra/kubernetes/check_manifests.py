#!/usr/bin/env python3
"""Offline check of the Kubernetes manifests beside this file (needs only PyYAML).

Every document must parse, have apiVersion, kind and metadata.name, use only the keys
listed in SCHEMA below for its kind (a small, strict subset of the real API: a typo such
as `imagePullPolicy` spelt `imagePullPolicey`, or a key in the wrong place, is an error),
with the right types. Then the documents are checked against each other: selectors match
pod labels, every Secret a pod reads is described in secrets.example.yaml, every $(VAR)
in args is defined, and the coordinator runs as one replica with the Recreate strategy.

    python3 infra/kubernetes/check_manifests.py [FILE...]      (default: every *.yaml here)

Exit status 0 when all is well, 1 otherwise (one line per problem on stderr).
"""

import re
import sys
from pathlib import Path

import yaml

# Type markers. A dict is a mapping with exactly those keys allowed; a one-element list is
# a list of that schema.
STR, INT, BOOL, QUANTITY, FREE = "string", "integer", "boolean", "quantity", "free-form mapping"
STRING_MAP = "map of strings"

LABEL_SELECTOR = {"matchLabels": STRING_MAP}
METADATA = {"name": STR, "namespace": STR, "labels": STRING_MAP, "annotations": STRING_MAP}
RESOURCES = {"requests": {"cpu": QUANTITY, "memory": QUANTITY, "ephemeral-storage": QUANTITY, "nvidia.com/gpu": QUANTITY},
             "limits": {"cpu": QUANTITY, "memory": QUANTITY, "ephemeral-storage": QUANTITY, "nvidia.com/gpu": QUANTITY}}
PROBE = {"exec": {"command": [STR]}, "periodSeconds": INT, "failureThreshold": INT,
         "initialDelaySeconds": INT, "timeoutSeconds": INT, "successThreshold": INT}
ENV_VAR = {"name": STR, "value": STR, "valueFrom": {
    "secretKeyRef": {"name": STR, "key": STR, "optional": BOOL},
    "fieldRef": {"fieldPath": STR},
    "resourceFieldRef": {"containerName": STR, "resource": STR, "divisor": QUANTITY}}}
CONTAINER = {
    "name": STR, "image": STR, "imagePullPolicy": STR, "command": [STR], "args": [STR],
    "env": [ENV_VAR], "ports": [{"name": STR, "containerPort": INT, "protocol": STR}],
    "resources": RESOURCES, "startupProbe": PROBE, "livenessProbe": PROBE, "readinessProbe": PROBE,
    "securityContext": {"allowPrivilegeEscalation": BOOL, "readOnlyRootFilesystem": BOOL,
                        "runAsNonRoot": BOOL, "capabilities": {"drop": [STR], "add": [STR]}},
    "volumeMounts": [{"name": STR, "mountPath": STR, "readOnly": BOOL}],
}
POD_SPEC = {
    "automountServiceAccountToken": BOOL, "enableServiceLinks": BOOL, "terminationGracePeriodSeconds": INT,
    "securityContext": {"runAsNonRoot": BOOL, "runAsUser": INT, "runAsGroup": INT, "fsGroup": INT,
                        "seccompProfile": {"type": STR}},
    "containers": [CONTAINER],
    "volumes": [{"name": STR, "secret": {"secretName": STR, "defaultMode": INT}, "emptyDir": FREE}],
    "nodeSelector": STRING_MAP,
}
SCHEMA = {
    ("v1", "Namespace"): {"metadata": METADATA},
    ("v1", "Secret"): {"metadata": METADATA, "type": STR, "stringData": STRING_MAP, "data": STRING_MAP},
    ("v1", "Service"): {"metadata": METADATA, "spec": {
        "type": STR, "selector": STRING_MAP,
        "ports": [{"name": STR, "port": INT, "targetPort": (INT, STR), "protocol": STR}]}},
    ("apps/v1", "Deployment"): {"metadata": METADATA, "spec": {
        "replicas": INT, "selector": LABEL_SELECTOR,
        "strategy": {"type": STR, "rollingUpdate": {"maxUnavailable": (INT, STR), "maxSurge": (INT, STR)}},
        "template": {"metadata": {"labels": STRING_MAP, "annotations": STRING_MAP}, "spec": POD_SPEC}}},
    ("networking.k8s.io/v1", "NetworkPolicy"): {"metadata": METADATA, "spec": {
        "podSelector": LABEL_SELECTOR, "policyTypes": [STR],
        "ingress": [{"from": [{"podSelector": LABEL_SELECTOR, "namespaceSelector": LABEL_SELECTOR}],
                     "ports": [{"port": (INT, STR), "protocol": STR}]}]}},
}
# Values some keys may take (the API's enumerations).
ENUMS = {
    "imagePullPolicy": {"Always", "IfNotPresent", "Never"},
    "protocol": {"TCP", "UDP", "SCTP"},
    "type@spec": {"ClusterIP", "NodePort", "LoadBalancer", "ExternalName"},
    "type@strategy": {"Recreate", "RollingUpdate"},
    "type@seccompProfile": {"RuntimeDefault", "Localhost", "Unconfined"},
    "policyTypes": {"Ingress", "Egress"},
}
QUANTITY_PATTERN = re.compile(r"^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def check_value(value, schema, path, problems):
    """Checks value against schema, appending 'path: problem' lines."""
    if isinstance(schema, tuple):
        if not any(check_value(value, option, path, []) for option in schema):
            problems.append(f"{path}: expected one of {', '.join(map(str, schema))}, found {value!r}")
            return False
        return True
    if isinstance(schema, dict):
        if not isinstance(value, dict):
            problems.append(f"{path}: expected a mapping, found {type(value).__name__}")
            return False
        for key, item in value.items():
            if key not in schema:
                problems.append(f"{path}.{key}: unknown key (accepted here: {', '.join(sorted(schema))})")
            else:
                check_value(item, schema[key], f"{path}.{key}", problems)
        return True
    if isinstance(schema, list):
        if not isinstance(value, list):
            problems.append(f"{path}: expected a list, found {type(value).__name__}")
            return False
        for index, item in enumerate(value):
            check_value(item, schema[0], f"{path}[{index}]", problems)
        return True
    ok = {
        STR: isinstance(value, str),
        INT: isinstance(value, int) and not isinstance(value, bool),
        BOOL: isinstance(value, bool),
        QUANTITY: (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, str) and QUANTITY_PATTERN.match(value) is not None),
        FREE: isinstance(value, dict),
        STRING_MAP: isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()),
    }[schema]
    if not ok:
        problems.append(f"{path}: expected a {schema}, found {value!r}")
    return ok


def check_enums(value, path, parent, problems):
    """Checks enumerated values anywhere in the document."""
    if isinstance(value, dict):
        for key, item in value.items():
            for name in (f"{key}@{parent}", key):
                if name in ENUMS:
                    items = item if isinstance(item, list) else [item]
                    for entry in items:
                        if entry not in ENUMS[name]:
                            problems.append(f"{path}.{key}: {entry!r} is not one of {', '.join(sorted(ENUMS[name]))}")
                    break
            check_enums(item, f"{path}.{key}", key, problems)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_enums(item, f"{path}[{index}]", parent, problems)


def pod_specs(documents):
    """(document name, pod labels, pod spec) for every Deployment."""
    for name, document in documents:
        if document.get("kind") == "Deployment":
            template = document.get("spec", {}).get("template", {})
            yield name, template.get("metadata", {}).get("labels", {}), template.get("spec", {})


def cross_check(documents, problems):
    """Checks the documents against each other."""
    secrets = {(d["metadata"].get("namespace"), d["metadata"]["name"]): set((d.get("stringData") or {}) | (d.get("data") or {}))
               for _, d in documents if d.get("kind") == "Secret"}
    pods = list(pod_specs(documents))
    for name, document in documents:
        kind, spec = document.get("kind"), document.get("spec", {})
        namespace = document["metadata"].get("namespace")
        if kind != "Namespace" and not namespace:
            problems.append(f"{name}: metadata.namespace is missing (everything lives in namespace sweep)")
        if kind == "Deployment":
            selector = spec.get("selector", {}).get("matchLabels", {})
            labels = spec.get("template", {}).get("metadata", {}).get("labels", {})
            if not selector or any(labels.get(k) != v for k, v in selector.items()):
                problems.append(f"{name}: spec.selector.matchLabels {selector} does not match the pod labels {labels}")
            pod = spec.get("template", {}).get("spec", {})
            volumes = {v["name"] for v in pod.get("volumes", [])}
            for volume in pod.get("volumes", []):
                secret = volume.get("secret")
                if secret and (namespace, secret["secretName"]) not in secrets:
                    problems.append(f"{name}: volume {volume['name']} reads Secret {secret['secretName']}, which secrets.example.yaml does not describe")
            for container in pod.get("containers", []):
                cname = f"{name} container {container.get('name')}"
                for mount in container.get("volumeMounts", []):
                    if mount["name"] not in volumes:
                        problems.append(f"{cname}: volumeMount {mount['name']} has no volume")
                env = {e["name"]: e for e in container.get("env", [])}
                for arg in container.get("args", []):
                    for variable in re.findall(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)", arg):
                        if variable not in env:
                            problems.append(f"{cname}: args use $({variable}), which env does not define")
                for variable in env.values():
                    ref = variable.get("valueFrom", {}).get("secretKeyRef")
                    if ref and ref["key"] not in secrets.get((namespace, ref["name"]), set()):
                        problems.append(f"{cname}: env {variable['name']} reads {ref['name']}/{ref['key']}, which secrets.example.yaml does not describe")
                resources = container.get("resources", {})
                if not resources.get("requests") or not resources.get("limits"):
                    problems.append(f"{cname}: resources need both requests and limits")
                security = container.get("securityContext", {})
                if security.get("allowPrivilegeEscalation") is not False or "ALL" not in security.get("capabilities", {}).get("drop", []):
                    problems.append(f"{cname}: needs allowPrivilegeEscalation: false and capabilities.drop: [ALL]")
            if pod.get("securityContext", {}).get("runAsNonRoot") is not True:
                problems.append(f"{name}: the pod must set securityContext.runAsNonRoot: true")
            if "coordinator" in document["metadata"]["name"]:
                if spec.get("replicas") != 1 or spec.get("strategy", {}).get("type") != "Recreate":
                    problems.append(f"{name}: the coordinator must run as 1 replica with strategy Recreate (two coordinators must never overlap)")
        if kind == "Service":
            selector = spec.get("selector", {})
            matching = [pod for pod in pods if all(pod[1].get(k) == v for k, v in selector.items())]
            if not matching:
                problems.append(f"{name}: spec.selector {selector} matches no Deployment's pods")
            for port in spec.get("ports", []):
                target = port.get("targetPort", port.get("port"))
                named = {p.get("name") for _, _, pod in matching for c in pod.get("containers", []) for p in c.get("ports", [])}
                numbered = {p.get("containerPort") for _, _, pod in matching for c in pod.get("containers", []) for p in c.get("ports", [])}
                if target not in named | numbered:
                    problems.append(f"{name}: targetPort {target!r} is not a port of the selected pods")


def main(arguments):
    here = Path(__file__).resolve().parent
    files = [Path(a) for a in arguments] or sorted(here.glob("*.yaml"))
    problems, documents = [], []
    for file in files:
        try:
            loaded = list(yaml.safe_load_all(file.read_text()))
        except yaml.YAMLError as error:
            problems.append(f"{file.name}: does not parse: {error}")
            continue
        for index, document in enumerate(loaded):
            if document is None:
                continue
            label = f"{file.name} document {index + 1}"
            if not isinstance(document, dict):
                problems.append(f"{label}: expected a mapping")
                continue
            for key in ("apiVersion", "kind"):
                if not isinstance(document.get(key), str):
                    problems.append(f"{label}: {key} is missing")
            name = (document.get("metadata") or {}).get("name")
            if not isinstance(name, str) or not DNS_LABEL.match(name):
                problems.append(f"{label}: metadata.name is missing or not a DNS label ({name!r})")
                continue
            label = f"{file.name} {document.get('kind')}/{name}"
            schema = SCHEMA.get((document.get("apiVersion"), document.get("kind")))
            if schema is None:
                problems.append(f"{label}: {document.get('apiVersion')} {document.get('kind')} is not a kind this check knows ({', '.join(f'{a} {k}' for a, k in SCHEMA)})")
                continue
            rest = {k: v for k, v in document.items() if k not in ("apiVersion", "kind")}
            check_value(rest, schema, label, problems)
            check_enums(rest, label, document.get("kind"), problems)
            documents.append((label, document))
    if not problems:
        cross_check(documents, problems)
    for problem in problems:
        print(problem, file=sys.stderr)
    print(f"{len(files)} files, {len(documents)} documents: {'OK' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
