#!/usr/bin/env bash
# A cluster of "hosts" on one Linux machine, made of network namespaces joined by veth
# pairs to a bridge that lives in a namespace of its own, so the host's own network is
# never touched. Needs root (or CAP_NET_ADMIN + CAP_SYS_ADMIN) and iproute2.
#
#   netns-cluster.sh up                  create the namespaces, links and addresses (idempotent)
#   netns-cluster.sh down                remove everything `up` made, ending processes left
#                                        in those namespaces (idempotent)
#   netns-cluster.sh exec HOST CMD...    run CMD inside HOST, with HOST's own host name
#   netns-cluster.sh addr HOST           print HOST's IPv4 address
#   netns-cluster.sh cut HOST            pull HOST's cable: its bridge port goes down
#   netns-cluster.sh restore HOST        plug it back in
#   netns-cluster.sh hosts               list the hosts and their addresses
#
# Hosts: `db` (PostgreSQL), `coord` (the coordinator) and the workers `w1`…`wN`.
# Settings (environment):
#   SWEEP_NETNS_PREFIX   prefix of every namespace (default: sweepnc); namespace = PREFIX-HOST
#   SWEEP_NETNS_WORKERS  number of worker hosts (default: 3, at most 200)
#   SWEEP_NETNS_SUBNET   first three octets of the private /24 (default: 10.77.0)
# See README.md beside this file.
set -euo pipefail

readonly prefix="${SWEEP_NETNS_PREFIX:-sweepnc}"
readonly workers="${SWEEP_NETNS_WORKERS:-3}"
readonly subnet="${SWEEP_NETNS_SUBNET:-10.77.0}"
readonly bridge_ns="${prefix}-net"
readonly bridge="br0"
# How long `down` waits for processes in the namespaces to leave after SIGTERM.
readonly stop_grace_seconds=5

die() { echo "netns-cluster: $*" >&2; exit 1; }

[[ "$prefix" =~ ^[a-z][a-z0-9]{0,9}$ ]] || die "SWEEP_NETNS_PREFIX must be 1-10 lower-case letters or digits, starting with a letter; found '$prefix'"
if ! [[ "$workers" =~ ^[0-9]+$ ]] || (( workers < 1 || workers > 200 )); then
    die "SWEEP_NETNS_WORKERS must be between 1 and 200; found '$workers'"
fi
[[ "$subnet" =~ ^10\.[0-9]{1,3}\.[0-9]{1,3}$|^192\.168\.[0-9]{1,3}$ ]] || die "SWEEP_NETNS_SUBNET must be the first three octets of a private /24 (10.x.y or 192.168.x); found '$subnet'"

# Every host, in order.
hosts() {
    local index
    echo db
    echo coord
    for (( index = 1; index <= workers; index++ )); do echo "w$index"; done
}

# HOST's address: db .2, coord .3, wN .(10+N).
host_address() {
    case "$1" in
        db) echo "$subnet.2" ;;
        coord) echo "$subnet.3" ;;
        w[0-9]*)
            local number="${1#w}"
            if ! [[ "$number" =~ ^[0-9]+$ ]] || (( number < 1 || number > workers )); then
                die "unknown host '$1' (hosts: $(hosts | tr '\n' ' '))"
            fi
            echo "$subnet.$(( 10 + number ))"
            ;;
        *) die "unknown host '$1' (hosts: $(hosts | tr '\n' ' '))" ;;
    esac
}

namespace_of() { host_address "$1" >/dev/null; echo "$prefix-$1"; }
# The bridge-side end of HOST's cable (interface names are at most 15 characters).
port_of() { echo "p-$1"; }

namespace_exists() { ip netns list | awk '{print $1}' | grep -qx -- "$1"; }

ensure_namespace() {
    namespace_exists "$1" || ip netns add "$1"
    ip -n "$1" link set lo up
}

up() {
    command -v ip >/dev/null || die "ip (iproute2) is missing: apt-get install iproute2"
    ensure_namespace "$bridge_ns"
    if ! ip -n "$bridge_ns" link show "$bridge" >/dev/null 2>&1; then
        ip -n "$bridge_ns" link add "$bridge" type bridge
    fi
    ip -n "$bridge_ns" link set "$bridge" up
    local host namespace port
    while read -r host; do
        namespace="$(namespace_of "$host")"
        port="$(port_of "$host")"
        ensure_namespace "$namespace"
        if ! ip -n "$namespace" link show eth0 >/dev/null 2>&1; then
            # Made directly in the two namespaces: nothing appears in the host's, even briefly.
            ip -n "$bridge_ns" link del "$port" >/dev/null 2>&1 || true
            ip link add name "$port" netns "$bridge_ns" type veth peer name eth0 netns "$namespace"
        fi
        ip -n "$bridge_ns" link set "$port" master "$bridge"
        ip -n "$bridge_ns" link set "$port" up
        ip -n "$namespace" addr replace "$(host_address "$host")/24" dev eth0
        ip -n "$namespace" link set eth0 up
    done < <(hosts)
    echo "cluster up: $(hosts | wc -l) hosts on $subnet.0/24 (namespaces $prefix-*)"
}

# Namespaces this script may have made: its bridge, db, coord and any wN (also from an
# earlier `up` with more workers).
our_namespaces() {
    ip netns list | awk '{print $1}' | grep -E -- "^$prefix-(net|db|coord|w[0-9]+)$" || true
}

down() {
    local namespaces pids waited=0
    mapfile -t namespaces < <(our_namespaces)
    if (( ${#namespaces[@]} == 0 )); then
        echo "cluster down: nothing to remove"
        return
    fi
    # Processes keep a namespace alive after `ip netns delete`: end those started in ours.
    pids="$(for ns in "${namespaces[@]}"; do ip netns pids "$ns" 2>/dev/null || true; done | sort -u | tr '\n' ' ')"
    if [[ -n "${pids// /}" ]]; then
        # shellcheck disable=SC2086 # one word per pid
        kill -TERM $pids 2>/dev/null || true
        while (( waited < stop_grace_seconds * 10 )); do
            pids="$(for ns in "${namespaces[@]}"; do ip netns pids "$ns" 2>/dev/null || true; done | sort -u | tr '\n' ' ')"
            [[ -z "${pids// /}" ]] && break
            sleep 0.1
            waited=$(( waited + 1 ))
        done
        if [[ -n "${pids// /}" ]]; then
            # shellcheck disable=SC2086 # one word per pid
            kill -KILL $pids 2>/dev/null || true
        fi
    fi
    # Deleting a namespace deletes the veth ends in it, and with them their peers.
    for ns in "${namespaces[@]}"; do ip netns delete "$ns" 2>/dev/null || true; done
    echo "cluster down: removed ${namespaces[*]}"
}

run_in() {
    local host="$1"; shift
    (( $# > 0 )) || die "exec needs a command: exec HOST CMD..."
    local namespace
    namespace="$(namespace_of "$host")"
    namespace_exists "$namespace" || die "host '$host' does not exist; run '$0 up' first"
    # A UTS namespace of its own gives each host its own host name (workers report it).
    # shellcheck disable=SC2016 # expanded by the inner sh, on purpose
    exec ip netns exec "$namespace" unshare --uts -- sh -c 'hostname "$0" && exec "$@"' "$namespace" "$@"
}

set_port() {
    local host="$1" state="$2"
    [[ "$host" == w* ]] || die "cut and restore act on workers (w1…w$workers); found '$host'"
    namespace_exists "$(namespace_of "$host")" || die "host '$host' does not exist; run '$0 up' first"
    ip -n "$bridge_ns" link set "$(port_of "$host")" "$state"
    echo "$host: link $state"
}

usage() {
    sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
    exit 2
}

(( $# >= 1 )) || usage
command="$1"; shift
case "$command" in
    up) up ;;
    down) down ;;
    exec) (( $# >= 1 )) || usage; run_in "$@" ;;
    addr) (( $# == 1 )) || usage; host_address "$1" ;;
    cut) (( $# == 1 )) || usage; set_port "$1" down ;;
    restore) (( $# == 1 )) || usage; set_port "$1" up ;;
    hosts) while read -r host; do printf '%-6s %-15s %s\n' "$host" "$(host_address "$host")" "$(namespace_of "$host")"; done < <(hosts) ;;
    -h|--help|help) usage ;;
    *) echo "netns-cluster: unknown command '$command'" >&2; usage ;;
esac
