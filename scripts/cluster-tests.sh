#!/usr/bin/env bash
# The multi-host tests: the network-namespace cluster of infra/netns-cluster, used by
#   1. infra/netns-cluster/demo.sh --cut w1   a sweep over three worker hosts, one cable pulled
#      mid-sweep (every job still succeeds, the jobs spread over the hosts);
#   2. infra/chaos/chaos.sh --jobs N          the fault drill: worker SIGKILLs, a link cut longer
#      than the lease, two coordinator kills, a PostgreSQL restart; audited with SQL.
# `make test` runs this after the Swift tests. Network namespaces need root (CAP_SYS_ADMIN and
# CAP_NET_ADMIN): without them the tests are reported as SKIPPED, loudly, and the script exits
# 0, unless SWEEP_CLUSTER_TESTS=require, which turns a skip into a failure.
#
# Settings: SWEEP_BINARY (default .build/debug/sweep), SWEEP_CLUSTER_JOBS (chaos jobs, default
# 300), SWEEP_CLUSTER_SEED (default 1), SWEEP_CLUSTER_TESTS=skip to skip on purpose.
set -euo pipefail
cd "$(dirname "$0")/.."

export SWEEP_BINARY=${SWEEP_BINARY:-$PWD/.build/debug/sweep}
jobs=${SWEEP_CLUSTER_JOBS:-300}
seed=${SWEEP_CLUSTER_SEED:-1}
mode=${SWEEP_CLUSTER_TESTS:-auto}
# Names and addresses of their own, so that a cluster someone keeps up for a demo (the default
# prefix sweepnc, 10.77.0.0/24) is not touched.
export SWEEP_NETNS_PREFIX=sweeptest
export SWEEP_NETNS_SUBNET=10.78.0

skip() {
    echo "cluster tests: SKIPPED: $*" >&2
    if [[ $mode == require ]]; then
        echo "cluster tests: SWEEP_CLUSTER_TESTS=require, so this is a failure" >&2
        exit 1
    fi
    exit 0
}

[[ $mode == skip ]] && skip "SWEEP_CLUSTER_TESTS=skip"
[[ $(id -u) -eq 0 ]] || skip "network namespaces need root (run make test as root, or sudo $0)"
for tool in ip unshare nsenter runuser python3 psql; do
    command -v "$tool" > /dev/null || skip "$tool is not installed"
done
[[ -x $SWEEP_BINARY ]] || { echo "cluster tests: no sweep binary at $SWEEP_BINARY (swift build --product sweep)" >&2; exit 1; }

# Can this process make a namespace and a veth pair at all (a container without
# CAP_SYS_ADMIN cannot)? Probe with a throwaway pair of names.
probe=sweepprobe-$$
if ! ip netns add "$probe" 2> /tmp/sweep-netns-probe.$$; then
    reason=$(cat /tmp/sweep-netns-probe.$$); rm -f /tmp/sweep-netns-probe.$$
    skip "cannot create a network namespace here: $reason"
fi
rm -f /tmp/sweep-netns-probe.$$
veth_ok=1
ip -n "$probe" link add sweepprobea type veth peer name sweepprobeb 2> /dev/null || veth_ok=0
ip netns del "$probe"
[[ $veth_ok -eq 1 ]] || skip "cannot create veth pairs here"

started=$SECONDS
echo "== cluster test 1/2: infra/netns-cluster/demo.sh --cut w1 ($SWEEP_BINARY)"
SWEEP_DEMO_JOBS=30 infra/netns-cluster/demo.sh --cut w1
echo "== cluster test 2/2: infra/chaos/chaos.sh --jobs $jobs --seed $seed"
infra/chaos/chaos.sh --jobs "$jobs" --seed "$seed"
left=$(ip netns list | grep -c "^$SWEEP_NETNS_PREFIX-" || true)
if [[ $left -ne 0 ]]; then
    echo "cluster tests: $left namespaces left behind" >&2
    exit 1
fi
echo "cluster tests: passed in $((SECONDS - started)) s"
