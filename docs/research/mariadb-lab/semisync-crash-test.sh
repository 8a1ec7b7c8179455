#!/usr/bin/env bash
# An un-acknowledged semi-sync (AFTER_SYNC) commit on a primary that then crashes.
# $1 = extra args for restarting the crashed primary ("" or "--init-rpl-role=SLAVE --rpl-semi-sync-slave-enabled=ON")
HERE=$(dirname "$(readlink -f "$0")")
export LAB=${LAB:?set LAB to a scratch folder first, e.g. export LAB=$(mktemp -d)}
cd "$LAB"
R() { local n=$1; shift; mariadb --no-defaults -uroot -S n$n/mysqld.sock -N -e "$*"; }
TAG=$2
R 1 "STOP SLAVE IO_THREAD"; R 2 "STOP SLAVE IO_THREAD"; sleep 0.5
echo "primary before: $(R 3 "SELECT @@gtid_binlog_pos, VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='RPL_SEMI_SYNC_MASTER_CLIENTS'")"
mariadb --no-defaults -h127.0.0.1 -P3318 -uapp -papp -e "INSERT INTO app.t(v,node) VALUES ('unacked-$TAG',3)" > bg-unacked.out 2>&1 &
sleep 2
echo "while the commit waits for an ack:"
echo "  gtid_binlog_pos on primary: $(R 3 "SELECT @@gtid_binlog_pos")"
echo "  row visible to other sessions: $(R 3 "SELECT COUNT(*) FROM app.t WHERE v='unacked-$TAG'")"
echo "  waiting sessions: $(R 3 "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='RPL_SEMI_SYNC_MASTER_WAIT_SESSIONS'")  state: $(R 3 "SELECT STATE FROM information_schema.PROCESSLIST WHERE USER='app'")"
"$HERE/lab.sh" kill 3
wait; echo "client of the unacked commit got: $(cat bg-unacked.out)"
EXTRA_ARGS="$1" "$HERE/lab.sh" start 3
echo "after restart with EXTRA_ARGS='$1':"
echo "  gtid_binlog_pos=$(R 3 "SELECT @@gtid_binlog_pos") gtid_binlog_state=$(R 3 "SELECT @@gtid_binlog_state") row present: $(R 3 "SELECT COUNT(*) FROM app.t WHERE v='unacked-$TAG'")"
echo "  replicas: node1 $(R 1 "SELECT @@gtid_slave_pos") node2 $(R 2 "SELECT @@gtid_slave_pos")"
echo "  log:"; grep -iE 'truncat|semi|rpl_role|Crash|recover' n3/mysqld.err | tail -8 | sed 's/^/    /'
