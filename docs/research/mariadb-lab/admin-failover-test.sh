#!/usr/bin/env bash
# Failover + rejoin + fence done only as the least-privilege users (regent_admin for actions, regent for
# probes and the barrier), over TCP, the way the adapter would.
set -euo pipefail
HERE=$(dirname "$(readlink -f "$0")")
export LAB=${LAB:?set LAB to a scratch folder first, e.g. export LAB=$(mktemp -d)}
cd "$LAB"
A() { local n=$1; shift; mariadb --no-defaults -h127.0.0.1 -P$((3315+n)) -uregent_admin -padmin-secret -N -B -e "$*"; }
M() { local n=$1; shift; mariadb --no-defaults -h127.0.0.1 -P$((3315+n)) -uregent -pregent-secret -N -B -e "$*"; }
CM="MASTER_USER='repl', MASTER_PASSWORD='repl-secret', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1, MASTER_HEARTBEAT_PERIOD=1"
A 1 "SET GLOBAL rpl_semi_sync_master_wait_point=AFTER_SYNC; SET GLOBAL rpl_semi_sync_master_timeout=2000; SET GLOBAL rpl_semi_sync_master_enabled=ON"
for n in 2 3; do A $n "SET GLOBAL rpl_semi_sync_slave_enabled=ON; STOP SLAVE IO_THREAD; START SLAVE IO_THREAD"; done
sleep 1; echo "semi-sync clients on 1: $(M 1 "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='RPL_SEMI_SYNC_MASTER_CLIENTS'")"
pos=$(M 1 "INSERT INTO regent.heartbeat(id,ts,writer) VALUES (1,NOW(6),@@server_id) ON DUPLICATE KEY UPDATE ts=VALUES(ts), writer=VALUES(writer); SELECT @@last_gtid")
echo "barrier on 1: $pos; node 2 MASTER_GTID_WAIT: $(M 2 "SELECT MASTER_GTID_WAIT('$pos', 5)")"
"$HERE/lab.sh" kill 1
io=$(mariadb --no-defaults -h127.0.0.1 -P3317 -uregent -pregent-secret -e "SHOW ALL SLAVES STATUS\G" | awk -F': ' '/ Gtid_IO_Pos:/{print $2}')
echo "node 2 waits for what it received ($io): $(M 2 "SELECT MASTER_GTID_WAIT('$io', 5)")"
A 2 "STOP SLAVE; RESET SLAVE ALL; SET GLOBAL read_only=OFF; SET GLOBAL rpl_semi_sync_slave_enabled=OFF; SET GLOBAL rpl_semi_sync_master_wait_point=AFTER_SYNC; SET GLOBAL rpl_semi_sync_master_timeout=2000; SET GLOBAL rpl_semi_sync_master_enabled=ON"
A 3 "STOP SLAVE; CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=3317, $CM; START SLAVE"
"$HERE/lab.sh" start 1
st1=$(M 1 "SELECT @@gtid_binlog_state"); st2=$(M 2 "SELECT @@gtid_binlog_state")
echo "errant on 1 vs 2: '$("$HERE/lab.sh" errant "$st1" "$st2")'"
A 1 "STOP SLAVE; SET GLOBAL gtid_slave_pos=@@gtid_binlog_pos; SET GLOBAL rpl_semi_sync_slave_enabled=ON; CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=3317, $CM; START SLAVE"
mariadb --no-defaults -h127.0.0.1 -P3317 -uapp -papp -e "INSERT INTO app.t(v,node) VALUES ('admin-test',2)"
sleep 1
for n in 1 2 3; do echo "node $n: $(M $n "SELECT @@read_only, @@gtid_current_pos")"; done
( echo "SELECT SLEEP(5);" ) | mariadb --no-defaults -h127.0.0.1 -P3317 -uapp -papp >/dev/null 2>&1 & bg=$!
sleep 1
A 2 "SET GLOBAL read_only=ON"
ids=$(A 2 "SELECT ID FROM information_schema.PROCESSLIST WHERE ID<>CONNECTION_ID() AND COMMAND NOT IN ('Daemon','Slave_IO','Slave_SQL','Slave_worker','Binlog Dump') AND USER NOT IN ('system user','event_scheduler','repl','regent','regent_admin')")
for id in $ids; do A 2 "KILL CONNECTION $id"; done
wait $bg || true
echo "fenced node 2: read_only=$(M 2 "SELECT @@read_only"), killed: $ids, left: $(A 2 "SELECT GROUP_CONCAT(USER) FROM information_schema.PROCESSLIST")"
echo "barrier as regent on fenced node: $(M 2 "INSERT INTO regent.heartbeat(id,ts,writer) VALUES (1,NOW(6),@@server_id) ON DUPLICATE KEY UPDATE ts=VALUES(ts)" 2>&1 | tail -1)"
echo "ALL ACTIONS OK AS regent_admin"
