#!/usr/bin/env bash
# MariaDB GTID replication lab: 3 local mariadbd processes (no Docker), ports 3316-3318.
# Run as root; servers run as OS user "mysql" (mariadbd --user=mysql drops privileges itself).
#
#   ./lab.sh up                  init (if needed) + start all + bootstrap replication, prints timings
#   ./lab.sh init                create the 3 data directories (install-db once, then copy)
#   ./lab.sh start [N|all] [rw]  start node(s) on their existing datadir (read_only=ON unless "rw");
#                                EXTRA_ARGS="--init-rpl-role=SLAVE --rpl-semi-sync-slave-enabled=ON" adds options
#   ./lab.sh stop  [N|all]       clean shutdown (SIGTERM to the pid from the pid file, wait)
#   ./lab.sh kill N              SIGKILL (crash)
#   ./lab.sh kill-primary        SIGKILL of the node that is currently writable (read_only=OFF)
#   ./lab.sh freeze N / thaw N   SIGSTOP / SIGCONT
#   ./lab.sh status              pid / liveness / role / GTID positions of every node
#   ./lab.sh bootstrap           users + CHANGE MASTER on nodes 2,3 -> node 1 (fresh datadirs only)
#   ./lab.sh promote N           STOP SLAVE; RESET SLAVE ALL; read_only=OFF
#   ./lab.sh follow N M          make node N replicate from node M (MASTER_USE_GTID=slave_pos; a former
#                                leader first gets gtid_slave_pos=@@gtid_binlog_pos)
#   ./lab.sh fence N             read_only=ON + kill client connections (not replication threads)
#   ./lab.sh rebuild N M         wipe node N, new datadir from the template, NEW server_id, replicate M's
#                                whole binlog (needs M's binlogs unpurged)
#   ./lab.sh errant-check N M    would N (old primary) have errant transactions w.r.t. M (new primary)?
#   ./lab.sh semisync on|off [wait_ms]   semi-sync: master side on the writable node, slave side everywhere
#   ./lab.sh caught-up [secs]    wait until every running replica executed the leader's gtid_binlog_pos
#   ./lab.sh contains A B / errant STATE_A STATE_B   the GTID rules of FACTS.md
#   ./lab.sh stall N / unstall N STOP SLAVE SQL_THREAD / START SLAVE SQL_THREAD
#   ./lab.sh probe N             the monitoring probe, as user "regent"
#   ./lab.sh sql N "SQL"         run SQL as root over the node's unix socket
#   ./lab.sh down                clean stop of all nodes
#   ./lab.sh destroy             SIGKILL everything this lab started and delete the node directories
set -euo pipefail

LAB=${LAB:?set LAB to a scratch folder first, e.g. export LAB=$(mktemp -d)}
BIN=${MARIADBD:-/usr/sbin/mariadbd}
INSTALL_DB=${INSTALL_DB:-/usr/bin/mariadb-install-db}
CLIENT=${CLIENT:-/usr/bin/mariadb}
ADMIN=${ADMIN:-/usr/bin/mariadb-admin}
OSUSER=mysql
NODES=(1 2 3)
port() { echo $((3315 + $1)); }
dir() { echo "$LAB/n$1"; }
datadir() { echo "$LAB/n$1/data"; }
sock() { echo "$LAB/n$1/mysqld.sock"; }
pidfile() { echo "$LAB/n$1/mysqld.pid"; }
errlog() { echo "$LAB/n$1/mysqld.err"; }
# server_id: n at first; a rebuilt node gets a new one (n+10, n+20 ...): a replica's IO thread silently
# drops events carrying its own server_id, so replaying the leader's binlog under the old id would lose
# every transaction this node once originated as a leader.
server_id() { local f="$LAB/n$1/server-id"; [[ -s $f ]] && cat "$f" || echo "$1"; }

REPL_USER=repl;   REPL_PASS=repl-secret
MON_USER=regent;  MON_PASS=regent-secret
ADM_USER=regent_admin; ADM_PASS=admin-secret

now_ms() { date +%s%3N; }
log() { echo "[$(date +%T.%3N)] $*" >&2; }

# root over the unix socket (root@localhost has no password: --auth-root-authentication-method=normal)
sql() { local n=$1; shift; "$CLIENT" --no-defaults -uroot -S "$(sock "$n")" --connect-timeout=3 -N -B -e "$*"; }
sqlv() { local n=$1; shift; "$CLIENT" --no-defaults -uroot -S "$(sock "$n")" --connect-timeout=3 -e "$*"; }
# a user over TCP, the way Regent connects
sqlu() { local n=$1 u=$2 p=$3; shift 3
  "$CLIENT" --no-defaults -h127.0.0.1 -P"$(port "$n")" -u"$u" -p"$p" --connect-timeout=3 -e "$*"; }

pid_of() { local f; f=$(pidfile "$1"); [[ -s $f ]] && cat "$f" || true; }
running() { local p; p=$(pid_of "$1"); [[ -n $p ]] && kill -0 "$p" 2>/dev/null; }
targets() { if [[ ${1:-all} == all ]]; then echo "${NODES[@]}"; else echo "$1"; fi; }

server_args() { # node, read_only(ON|OFF)
  local n=$1 ro=$2
  echo --no-defaults --user=$OSUSER \
    --datadir="$(datadir "$n")" --port="$(port "$n")" --bind-address=127.0.0.1 \
    --socket="$(sock "$n")" --pid-file="$(pidfile "$n")" --log-error="$(errlog "$n")" \
    --server-id="$(server_id "$n")" --gtid-domain-id=0 --report-host=127.0.0.1 --report-port="$(port "$n")" \
    --log-bin="$(datadir "$n")/binlog" --log-bin-index="$(datadir "$n")/binlog.index" \
    --relay-log="$(datadir "$n")/relay-bin" --relay-log-index="$(datadir "$n")/relay-bin.index" \
    --log-slave-updates --binlog-format=ROW --gtid-strict-mode=ON --skip-name-resolve \
    --read-only="$ro" --slave-net-timeout=4 \
    --innodb-buffer-pool-size=32M --innodb-log-file-size=16M --innodb-flush-log-at-trx-commit=2 \
    --sync-binlog=0 --performance-schema=OFF --max-connections=50 ${EXTRA_ARGS:-}
}

init() {
  mkdir -p "$LAB"; chmod 755 "$LAB"
  local t0 tpl="$LAB/template"
  if [[ ! -d $tpl/data/mysql ]]; then
    t0=$(now_ms)
    rm -rf "$tpl"; install -d -o $OSUSER -g $OSUSER "$tpl"
    # extra options after the known ones are passed to the bootstrap mariadbd
    "$INSTALL_DB" --no-defaults --user=$OSUSER --datadir="$tpl/data" \
      --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
      --innodb-buffer-pool-size=32M --innodb-log-file-size=16M >"$tpl/install-db.log" 2>&1
    log "install-db (template): $(( $(now_ms) - t0 )) ms"
  fi
  for n in "${NODES[@]}"; do
    if [[ ! -d $(datadir "$n")/mysql ]]; then
      t0=$(now_ms)
      install -d -o $OSUSER -g $OSUSER "$(dir "$n")"
      cp -a "$tpl/data" "$(datadir "$n")"   # MariaDB has no server_uuid: a copy of a fresh datadir is fine
      log "node $n datadir copied: $(( $(now_ms) - t0 )) ms"
    fi
  done
}

start_node() { # node [rw]
  local n=$1 ro=ON t0
  [[ ${2:-} == rw ]] && ro=OFF
  if running "$n"; then log "node $n already running (pid $(pid_of "$n"))"; return 0; fi
  [[ -d $(datadir "$n")/mysql ]] || { log "node $n: no datadir, run init"; return 1; }
  rm -f "$(pidfile "$n")"
  t0=$(now_ms)
  # setsid + nohup: the server survives this shell; stdio to the node's own file
  # shellcheck disable=SC2046
  setsid nohup "$BIN" $(server_args "$n" "$ro") >"$(dir "$n")/stdout.log" 2>&1 </dev/null &
  local i
  for i in $(seq 1 300); do
    if "$ADMIN" --no-defaults -uroot -S "$(sock "$n")" --connect-timeout=1 ping >/dev/null 2>&1; then
      log "node $n up on port $(port "$n") pid $(pid_of "$n") read_only=$ro in $(( $(now_ms) - t0 )) ms"
      return 0
    fi
    sleep 0.1
  done
  log "node $n did not start; tail of $(errlog "$n"):"; tail -20 "$(errlog "$n")" >&2; return 1
}

stop_node() { # clean: SIGTERM (same as mariadb-admin shutdown), wait for the pid to exit
  local n=$1 p t0
  p=$(pid_of "$n"); [[ -z $p ]] && { log "node $n not running"; return 0; }
  kill -0 "$p" 2>/dev/null || { log "node $n not running (stale pid file)"; rm -f "$(pidfile "$n")"; return 0; }
  t0=$(now_ms)
  kill -CONT "$p" 2>/dev/null || true  # a frozen server cannot shut down
  kill -TERM "$p"
  while kill -0 "$p" 2>/dev/null; do sleep 0.1; done
  log "node $n stopped cleanly in $(( $(now_ms) - t0 )) ms"
}

kill_node() {
  local n=$1 p; p=$(pid_of "$n")
  [[ -n $p ]] && kill -0 "$p" 2>/dev/null || { log "node $n not running"; return 0; }
  kill -KILL "$p"; while kill -0 "$p" 2>/dev/null; do sleep 0.05; done
  log "node $n (pid $p) killed with SIGKILL (pid file left behind: $(pidfile "$n"))"
}

bootstrap() {
  local t0; t0=$(now_ms)
  # users are created on node 1 before the replicas connect: they replicate to every node
  sql 1 "
    CREATE USER '$REPL_USER'@'%' IDENTIFIED BY '$REPL_PASS';
    GRANT REPLICATION SLAVE ON *.* TO '$REPL_USER'@'%';
    -- monitoring: SHOW [ALL] SLAVES STATUS needs SLAVE MONITOR; SHOW MASTER/BINLOG STATUS and
    -- SHOW BINARY LOGS need BINLOG MONITOR; SHOW SLAVE HOSTS needs REPLICATION MASTER ADMIN;
    -- PROCESS lets it see every thread in information_schema.PROCESSLIST.
    CREATE USER '$MON_USER'@'%' IDENTIFIED BY '$MON_PASS';
    GRANT SLAVE MONITOR, BINLOG MONITOR, REPLICATION MASTER ADMIN, PROCESS ON *.* TO '$MON_USER'@'%';
    -- actions: STOP/START SLAVE, CHANGE MASTER, SET GLOBAL gtid_slave_pos -> REPLICATION SLAVE ADMIN;
    -- RESET SLAVE [ALL] -> RELOAD;
    -- SET GLOBAL read_only -> READ_ONLY ADMIN; KILL other users' connections -> CONNECTION ADMIN;
    -- SET GLOBAL rpl_semi_sync_master_* -> REPLICATION MASTER ADMIN. READ_ONLY ADMIN also lets it write
    -- on a read_only server, so it gets no table privileges at all.
    CREATE USER '$ADM_USER'@'%' IDENTIFIED BY '$ADM_PASS';
    GRANT REPLICATION SLAVE ADMIN, RELOAD, READ_ONLY ADMIN, CONNECTION ADMIN, REPLICATION MASTER ADMIN,
          SLAVE MONITOR, BINLOG MONITOR, PROCESS ON *.* TO '$ADM_USER'@'%';
    CREATE DATABASE IF NOT EXISTS regent;
    CREATE TABLE regent.heartbeat (id INT PRIMARY KEY, ts TIMESTAMP(6) NOT NULL, writer INT NOT NULL) ENGINE=InnoDB;
    -- heartbeat/barrier writes go through the monitoring user, which lacks READ_ONLY ADMIN: on a
    -- read-only (fenced) node they fail with 1290 instead of creating an errant transaction
    GRANT INSERT, UPDATE, SELECT ON regent.heartbeat TO '$MON_USER'@'%';
    CREATE USER 'app'@'%' IDENTIFIED BY 'app'; GRANT ALL ON app.* TO 'app'@'%';
    CREATE DATABASE IF NOT EXISTS app;
    CREATE TABLE app.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(64), node INT) ENGINE=InnoDB;"
  for n in 2 3; do follow "$n" 1; done
  await_caught_up 60
  log "bootstrap (users + replication + caught up): $(( $(now_ms) - t0 )) ms"
}

follow() { # node leader
  local n=$1 m=$2
  sql "$n" "STOP SLAVE; SET GLOBAL read_only=ON"
  # a node without a replication connection (a former leader) replicates from its own binlog position;
  # an errant transaction then makes the leader refuse it (1236) instead of being replayed around
  if [[ -z $(sql "$n" "SHOW SLAVE STATUS") && -n $(sql "$n" "SELECT @@gtid_binlog_pos") ]]; then
    sql "$n" "SET GLOBAL gtid_slave_pos=@@gtid_binlog_pos"
  fi
  sql "$n" "
    CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$(port "$m"), MASTER_USER='$REPL_USER',
      MASTER_PASSWORD='$REPL_PASS', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1;
    START SLAVE;"
  log "node $n now follows node $m"
}

promote() {
  local n=$1
  sql "$n" "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=OFF;"
  log "node $n promoted: $(sql "$n" "SELECT CONCAT('read_only=',@@read_only,' gtid_current_pos=',@@gtid_current_pos)")"
}

fence() { # read_only + end client sessions, keep system (replication) threads and our own
  local n=$1 ids
  sql "$n" "SET GLOBAL read_only=ON"
  ids=$(sql "$n" "SELECT ID FROM information_schema.PROCESSLIST
                  WHERE ID <> CONNECTION_ID() AND COMMAND NOT IN ('Daemon','Slave_IO','Slave_SQL','Slave_worker','Binlog Dump')
                    AND USER NOT IN ('system user','event_scheduler','$REPL_USER')")
  for id in $ids; do sql "$n" "KILL CONNECTION $id" || true; done
  log "node $n fenced: read_only=$(sql "$n" "SELECT @@read_only"), killed connections: ${ids:-none}"
}

# GTID helpers. A GTID is domain-server-seqno; a position (@@gtid_*_pos) is a comma separated list
# with one GTID per domain; @@gtid_binlog_state has one GTID per (domain, server_id) pair.
# contains A B (positions): every domain of B is in A with a seqno >= B's seqno.
gtid_contains() {
  python3 - "$1" "$2" <<'EOF2'
import sys
def parse(s):
    out = {}
    for t in filter(None, (x.strip() for x in s.split(','))):
        d, srv, seq = t.split('-'); out[int(d)] = (int(srv), int(seq))
    return out
a, b = parse(sys.argv[1]), parse(sys.argv[2])
print("yes" if all(d in a and a[d][1] >= seq for d, (srv, seq) in b.items()) else "no")
EOF2
}

# errant A_STATE B_STATE (binlog states): prints the GTIDs of A that B never had: every (domain, server)
# pair of A must be in B with a seqno >= A's (in strict mode a server's seqnos rise along one linear history).
gtid_errant() {
  python3 - "$1" "$2" <<'EOF2'
import sys
def parse(s):
    out = {}
    for t in filter(None, (x.strip() for x in s.split(','))):
        d, srv, seq = map(int, t.split('-')); out[(d, srv)] = seq
    return out
a, b = parse(sys.argv[1]), parse(sys.argv[2])
bad = [f"{d}-{s}-{n}" for (d, s), n in sorted(a.items()) if b.get((d, s), -1) < n]
print(",".join(bad))
EOF2
}

errant_check() { # node N (e.g. an old primary) against node M (the new primary), both running
  local n=$1 m=$2 a b bad
  a=$(sql "$n" "SELECT @@gtid_binlog_state"); b=$(sql "$m" "SELECT @@gtid_binlog_state")
  echo "node $n gtid_binlog_state='$a'   node $m gtid_binlog_state='$b'"
  bad=$(gtid_errant "$a" "$b")
  if [[ -z $bad ]]; then
    echo "OK: node $m has every transaction of node $n; node $n can follow node $m"
  else
    echo "ERRANT: node $n has $bad that node $m never had -> rebuild node $n (or flashback), do not follow"
  fi
}

await_caught_up() { # all running replicas have executed the primary's gtid_binlog_pos
  local timeout=${1:-30} deadline primary pos ok n
  deadline=$(( $(date +%s) + timeout ))
  primary=$(for n in "${NODES[@]}"; do running "$n" && [[ $(sql "$n" "SELECT @@read_only") == 0 ]] && echo "$n"; done | head -1 || true)
  [[ -z $primary ]] && { log "no writable node"; return 1; }
  pos=$(sql "$primary" "SELECT @@gtid_binlog_pos")
  while :; do
    ok=1
    for n in "${NODES[@]}"; do
      [[ $n == "$primary" ]] && continue; running "$n" || continue
      [[ $(sql "$n" "SELECT MASTER_GTID_WAIT('$pos', 0.5)") == 0 ]] || ok=0
    done
    [[ $ok == 1 ]] && { log "replicas caught up with node $primary at $pos"; return 0; }
    (( $(date +%s) > deadline )) && { log "timeout waiting for catch-up to $pos"; return 1; }
  done
}

status() {
  printf '%-4s %-6s %-8s %-9s %-4s %-22s %-22s %-22s %-12s %s\n' node port pid state ro binlog_pos current_pos slave_pos io/sql master
  for n in "${NODES[@]}"; do
    local p state='down' row
    p=$(pid_of "$n")
    if running "$n"; then
      state=up; grep -q '^State:.*T (stopped)' "/proc/$p/status" 2>/dev/null && state=FROZEN
    fi
    if [[ $state == up ]]; then
      row=$(sql "$n" "SELECT @@read_only, IFNULL(NULLIF(@@gtid_binlog_pos,''),'-'), IFNULL(NULLIF(@@gtid_current_pos,''),'-'), IFNULL(NULLIF(@@gtid_slave_pos,''),'-')" | tr '\t' ' ')
      local ss io sqlr mport
      ss=$(sqlv "$n" "SHOW SLAVE STATUS\G" 2>/dev/null || true)
      io=$(awk -F': ' '/ Slave_IO_Running:/{print $2}' <<<"$ss"); sqlr=$(awk -F': ' '/ Slave_SQL_Running:/{print $2}' <<<"$ss")
      mport=$(awk -F': ' '/ Master_Port:/{print $2}' <<<"$ss")
      read -r ro bp cp sp <<<"$row"
      printf '%-4s %-6s %-8s %-9s %-4s %-22s %-22s %-22s %-12s %s\n' "$n" "$(port "$n")" "$p" "$state" "$ro" "$bp" "$cp" "$sp" "${io:--}/${sqlr:--}" "${mport:--}"
    else
      printf '%-4s %-6s %-8s %-9s\n' "$n" "$(port "$n")" "${p:--}" "$state"
    fi
  done
}

probe() { # the probe Regent would run: two statements, as the monitoring user
  local n=$1
  sqlu "$n" "$MON_USER" "$MON_PASS" "
    SELECT @@server_id, @@version, @@read_only, @@gtid_binlog_pos, @@gtid_current_pos, @@gtid_slave_pos,
           @@gtid_strict_mode, @@rpl_semi_sync_master_enabled, @@rpl_semi_sync_slave_enabled,
           (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='RPL_SEMI_SYNC_MASTER_STATUS') AS semisync_status,
           (SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='RPL_SEMI_SYNC_MASTER_CLIENTS') AS semisync_clients,
           (SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND='Binlog Dump') AS binlog_dump_threads;
    SHOW ALL SLAVES STATUS\G"
}

semisync() { # master side only on the writable node: a replica with rpl_semi_sync_master_enabled=ON
  # waits rpl_semi_sync_master_timeout at shutdown ("Timeout waiting for reply of binlog")
  local mode=$1 wait=${2:-10000} n leader
  leader=$(writable_node)
  for n in "${NODES[@]}"; do
    running "$n" || continue
    if [[ $mode == on && $n == "$leader" ]]; then
      sql "$n" "SET GLOBAL rpl_semi_sync_master_wait_point=AFTER_SYNC; SET GLOBAL rpl_semi_sync_master_timeout=$wait;
                SET GLOBAL rpl_semi_sync_master_enabled=ON; SET GLOBAL rpl_semi_sync_slave_enabled=ON;"
    elif [[ $mode == on ]]; then
      sql "$n" "SET GLOBAL rpl_semi_sync_master_enabled=OFF; SET GLOBAL rpl_semi_sync_slave_enabled=ON;"
    else
      sql "$n" "SET GLOBAL rpl_semi_sync_master_enabled=OFF; SET GLOBAL rpl_semi_sync_slave_enabled=OFF;"
    fi
    # the slave flag is read when the IO thread connects: restart it where one is configured
    if [[ -n $(sql "$n" "SHOW SLAVE STATUS") ]]; then sql "$n" "STOP SLAVE IO_THREAD; START SLAVE IO_THREAD"; fi
  done
  log "semi-sync $mode (leader node ${leader:-none}, timeout ${wait} ms)"
}

writable_node() { for n in "${NODES[@]}"; do running "$n" && [[ $(sql "$n" "SELECT @@read_only" 2>/dev/null) == 0 ]] && { echo "$n"; return; }; done; return 0; }

cmd=${1:-status}; shift || true
case $cmd in
  init) init ;;
  start) for n in $(targets "${1:-all}"); do start_node "$n" "${2:-}"; done ;;
  stop) for n in $(targets "${1:-all}"); do stop_node "$n"; done ;;
  down) for n in "${NODES[@]}"; do stop_node "$n"; done ;;
  kill) kill_node "$1" ;;
  kill-primary) p=$(writable_node); [[ -n $p ]] || { log "no writable node"; exit 1; }; kill_node "$p" ;;
  freeze) kill -STOP "$(pid_of "$1")"; log "node $1 frozen (SIGSTOP)" ;;
  thaw) kill -CONT "$(pid_of "$1")"; log "node $1 thawed (SIGCONT)" ;;
  status) status ;;
  up)
    T0=$(now_ms); init; T1=$(now_ms)
    # the three servers start in parallel (InnoDB start-up dominates)
    start_node 1 rw & P1=$!; start_node 2 & P2=$!; start_node 3 & P3=$!
    wait "$P1" && wait "$P2" && wait "$P3"; T2=$(now_ms)
    bootstrap; T3=$(now_ms)
    log "TIMING init=$((T1-T0)) ms start=$((T2-T1)) ms bootstrap=$((T3-T2)) ms total=$((T3-T0)) ms" ;;
  bootstrap) bootstrap ;;
  promote) promote "$1" ;;
  follow) follow "$1" "$2" ;;
  fence) fence "$1" ;;
  errant-check) errant_check "$1" "$2" ;;
  contains) gtid_contains "$1" "$2" ;;
  errant) gtid_errant "$1" "$2" ;;
  semisync) semisync "$@" ;;
  stall) sql "$1" "STOP SLAVE SQL_THREAD"; log "node $1 SQL thread stopped" ;;
  unstall) sql "$1" "START SLAVE SQL_THREAD"; log "node $1 SQL thread started" ;;
  probe) probe "$1" ;;
  caught-up) await_caught_up "${1:-30}" ;;
  sql) n=$1; shift; sqlv "$n" "$*" ;;
  rebuild) # node leader: fresh datadir from the template, replays the leader's whole binlog (never purged here)
    sid=$(( $(server_id "$1") + 10 ))
    kill_node "$1"; rm -rf "$(datadir "$1")" "$(pidfile "$1")"; init; echo "$sid" > "$(dir "$1")/server-id"
    start_node "$1"; follow "$1" "$2"; await_caught_up 60; log "node $1 rebuilt with server_id $sid" ;;
  destroy)
    for n in "${NODES[@]}"; do p=$(pid_of "$n"); [[ -n $p ]] && kill -CONT "$p" 2>/dev/null; kill_node "$n"; done
    rm -rf "$LAB"/n1 "$LAB"/n2 "$LAB"/n3; log "node directories removed (template kept)" ;;
  *) awk 'NR>1 && /^#/{print; next} NR>1{exit}' "$0"; exit 2 ;;
esac
