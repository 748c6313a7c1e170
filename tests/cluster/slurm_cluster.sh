# A throwaway single-node Slurm cluster (Debian's slurm-wlm + munge), everything under one
# folder, for tests and for trying `hostwire sweep --slurm` by hand. Source this file, then:
#
#   cluster_start DIR      # writes DIR/slurm.conf and a munge key, starts munged, slurmctld
#                          # and slurmd in the foreground (in the background of this shell),
#                          # waits until the node is idle, exports SLURM_CONF=DIR/slurm.conf
#   ... sbatch / squeue / hostwire sweep --slurm --submit ...
#   cluster_stop           # stops the three daemons by their PIDs (and waits for them)
#
# Call `trap cluster_stop EXIT` (and INT/TERM) right after sourcing so no daemon outlives
# the shell. Nothing is installed or changed outside DIR; the daemons run as the calling
# user (root for slurmd, which must start jobs), on free TCP ports chosen at start.
# See docs/cluster.md.

CLUSTER_PIDS=()

cluster_log() { echo "cluster: $*" >&2; }

# Prints N distinct TCP ports that nothing on this machine uses (per /proc/net/tcp*), below
# the ephemeral range so that no client connection takes one meanwhile.
cluster_free_ports() {
  local used=" " picked=() p hex
  while read -r hex; do used+="$((16#$hex)) "; done < <(awk 'FNR > 1 { split($2, a, ":"); print a[2] }' /proc/net/tcp /proc/net/tcp6 2>/dev/null)
  while ((${#picked[@]} < $1)); do
    p=$((20000 + RANDOM % 12000))
    [[ $used == *" $p "* || " ${picked[*]} " == *" $p "* ]] || picked+=("$p")
  done
  echo "${picked[*]}"
}

# Which daemons are missing (empty when all are there).
cluster_missing_binaries() {
  local b missing=()
  for b in munged slurmctld slurmd sbatch squeue scontrol sinfo; do
    command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || missing+=("$b")
  done
  echo "${missing[*]}"
}

cluster_bin() { command -v "$1" 2>/dev/null || echo "/usr/sbin/$1"; }

cluster_start() {
  local dir=$1
  mkdir -p "$dir"/{state,spool,log,run}
  dir=$(cd "$dir" && pwd)
  chmod 755 "$dir"  # munged wants its socket's folder reachable
  local host cpus mem ports ctld_port d_port
  host=$(hostname -s)
  cpus=$(nproc)
  # A little under the machine's memory: slurmd drains a node that has less than declared.
  mem=$(awk '/MemTotal/ { print int($2 / 1024 * 0.9) }' /proc/meminfo)
  read -r ctld_port d_port < <(cluster_free_ports 2)

  # munge: its own key (mode 0400) and socket in DIR.
  dd if=/dev/urandom of="$dir/munge.key" bs=1024 count=1 status=none
  chmod 400 "$dir/munge.key"
  "$(cluster_bin munged)" -F --force --socket="$dir/run/munge.sock" --key-file="$dir/munge.key" \
    --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/run/munged.seed" \
    >>"$dir/log/munged.out" 2>&1 &
  CLUSTER_PIDS+=($!)

  cat >"$dir/slurm.conf" <<EOF
# Single-node test cluster written by tests/cluster/slurm_cluster.sh
ClusterName=hostwiretest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=$(id -un)
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/run/munge.sock
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MailProg=/bin/true
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=5
Waittime=0
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
  export SLURM_CONF="$dir/slurm.conf"

  local i
  for i in $(seq 100); do [ -S "$dir/run/munge.sock" ] && break; sleep 0.05; done
  if [ ! -S "$dir/run/munge.sock" ]; then
    cluster_log "munged did not start; $dir/log/munged.log:"; cat "$dir/log/munged.log" "$dir/log/munged.out" >&2 2>/dev/null
    return 1
  fi
  "$(cluster_bin slurmctld)" -D -i -f "$dir/slurm.conf" >>"$dir/log/slurmctld.out" 2>&1 &
  CLUSTER_PIDS+=($!)
  "$(cluster_bin slurmd)" -D -N "$host" -f "$dir/slurm.conf" >>"$dir/log/slurmd.out" 2>&1 &
  CLUSTER_PIDS+=($!)

  # A guard in its own session: should this shell die without calling cluster_stop (SIGKILL,
  # a test runner's timeout), it stops the daemons once the shell is gone.
  CLUSTER_DIR=$dir
  CLUSTER_GUARD=$(
    setsid bash -c 'parent=$1 stop=$2; shift 2
      while kill -0 "$parent" 2>/dev/null && [ ! -e "$stop" ]; do sleep 1; done
      [ -e "$stop" ] && exit 0
      kill -TERM "$@" 2>/dev/null; sleep 3; kill -KILL "$@" 2>/dev/null' \
      guard $$ "$dir/run/stopped" "${CLUSTER_PIDS[@]}" </dev/null >/dev/null 2>&1 &
    echo $!
  )

  # Ready when the node is idle (slurmd registered with slurmctld). Usually well under 1 s.
  local state=""
  for i in $(seq 300); do
    state=$(sinfo -h -N -n "$host" -o %T 2>/dev/null || true)
    [ "$state" = idle ] && return 0
    sleep 0.1
  done
  cluster_log "not ready after 30 s (node state '${state}'); logs in $dir/log:"
  tail -n 20 "$dir"/log/*.log "$dir"/log/*.out >&2 2>/dev/null
  return 1
}

# Cancels the cluster's jobs, stops the daemons this shell started (newest first, by PID;
# SIGKILL after 5 s), then kills any job process or slurmstepd of this cluster left behind
# (found by SLURM_CONF=DIR/slurm.conf in its environment).
cluster_stop() {
  local i pid
  if [ -n "${CLUSTER_DIR:-}" ]; then
    touch "$CLUSTER_DIR/run/stopped"
    timeout 5 scancel --user="$(id -un)" >/dev/null 2>&1 || true
  fi
  for ((i = ${#CLUSTER_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${CLUSTER_PIDS[i]}
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  CLUSTER_PIDS=()
  if [ -n "${CLUSTER_DIR:-}" ]; then
    local p env
    for p in /proc/[0-9]*; do
      pid=${p#/proc/}
      [ "$pid" = $$ ] || [ "$pid" = "$BASHPID" ] && continue
      env=$({ tr '\0' '\n' <"$p/environ"; } 2>/dev/null) || continue
      grep -qxF "SLURM_CONF=$CLUSTER_DIR/slurm.conf" <<<"$env" || continue
      if grep -q '^SLURM_JOB_ID=' <<<"$env" || [ "$(cat "$p/comm" 2>/dev/null)" = slurmstepd ]; then
        kill -KILL "$pid" 2>/dev/null || true
      fi
    done
    if [ -n "${CLUSTER_GUARD:-}" ]; then kill "$CLUSTER_GUARD" 2>/dev/null || true; fi
    CLUSTER_GUARD=""
    CLUSTER_DIR=""
  fi
  return 0
}
