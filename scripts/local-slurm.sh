#!/usr/bin/env bash
# A one-node Slurm on this machine, for the Slurm sweep spec and for trying
# `srun -n 4 mien train ...` / `mien sweep ... --slurm` without a cluster.
#   scripts/local-slurm.sh start DIR   write DIR/slurm.conf, start munged, slurmctld and slurmd
#   scripts/local-slurm.sh stop DIR    stop them (by the pids they wrote in DIR)
# Then point the Slurm commands at it: export SLURM_CONF=DIR/slurm.conf
# Needs root (slurmd runs jobs as their users) and the packages slurm-wlm and
# munge. The node has LOCAL_SLURM_CPUS CPUs (default 4, more than the machine
# may have: slurmd takes the configured count). Job completions are logged to
# DIR/jobcomp.log (jobcomp/filetxt: sacct would need slurmdbd).
set -eu
cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi

stop_pid_file() {
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null
  fi
  rm -f "$f"
}

if [ "$cmd" = stop ]; then
  stop_pid_file "$dir/slurmd.pid"
  stop_pid_file "$dir/slurmctld.pid"
  stop_pid_file "$dir/munged.pid"
  exit 0
fi
[ "$cmd" = start ] || { echo "$0: unknown command '$cmd' (start|stop)" >&2; exit 2; }

[ "$(id -u)" -eq 0 ] || { echo "$0: needs root (slurmd runs the jobs)" >&2; exit 1; }
for exe in munged slurmctld slurmd sinfo; do
  command -v "$exe" >/dev/null || [ -x "/usr/sbin/$exe" ] || { echo "$0: $exe is missing (apt-get install slurm-wlm munge)" >&2; exit 1; }
done
export PATH="$PATH:/usr/sbin"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
mkdir -p "$dir/state" "$dir/spool"
chmod 700 "$dir"

# a free TCP port from $1 up
free_port() {
  local p=$1
  while ss -Hltn "sport = :$p" 2>/dev/null | grep -q .; do p=$((p + 1)); done
  echo "$p"
}
ctld_port=$(free_port "${LOCAL_SLURM_PORT:-16817}")
slurmd_port=$(free_port $((ctld_port + 1)))
plugins=$(dirname "$(find /usr/lib -name proctrack_linuxproc.so -path '*slurm*' 2>/dev/null | head -1)")
mpi=none
[ -f "$plugins/mpi_pmix.so" ] && mpi=pmix

head -c 1024 /dev/urandom >"$dir/munge.key"
chmod 400 "$dir/munge.key"
munged --force --socket="$dir/munge.sock" --key-file="$dir/munge.key" --pid-file="$dir/munged.pid" \
  --log-file="$dir/munged.log" --seed-file="$dir/munged.seed"

cat >"$dir/slurm.conf" <<CONF
# written by scripts/local-slurm.sh: one node, localhost
ClusterName=mienlocal
SlurmctldHost=localhost
SlurmUser=root
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge.sock
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=$mpi
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=600
NodeName=$(hostname -s) NodeAddr=127.0.0.1 CPUs=${LOCAL_SLURM_CPUS:-4} RealMemory=1000 State=UNKNOWN
PartitionName=local Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF

export SLURM_CONF="$dir/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 100); do
  if sinfo -h -o %t 2>/dev/null | grep -qE '^(idle|mix|alloc)'; then
    echo "export SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.2
done
echo "$0: the node did not come up; logs in $dir:" >&2
tail -5 "$dir"/slurmctld.log "$dir"/slurmd.log "$dir"/munged.log >&2 2>/dev/null || true
"$0" stop "$dir"
exit 1
