#!/usr/bin/env bash
# End-to-end check of lab.sh: failover, rejoin, split brain + errant transaction, fencing, semi-sync,
# stall, freeze. Expects a fresh "./lab.sh up" cluster (node 1 leader). Prints PASS/FAIL lines.
set -uo pipefail
HERE=$(dirname "$(readlink -f "$0")")
export LAB=${LAB:?set LAB to a scratch folder first, e.g. export LAB=$(mktemp -d)}
cd "$LAB"
L="$HERE/lab.sh"
R() { local n=$1; shift; mariadb --no-defaults -uroot -S n$n/mysqld.sock -N -B -e "$*"; }
RV() { local n=$1; shift; mariadb --no-defaults -uroot -S n$n/mysqld.sock -e "$*"; }
APP() { local n=$1; shift; mariadb --no-defaults -h127.0.0.1 -P$((3315 + n)) -uapp -papp -N -B -e "$*"; }
pass=0; fail=0
check() { if [[ $2 == "$3" ]]; then echo "PASS $1"; pass=$((pass+1)); else echo "FAIL $1: got '$2' want '$3'"; fail=$((fail+1)); fi; }

$L semisync on 3000
check "semi-sync active on leader" "$(R 1 "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='RPL_SEMI_SYNC_MASTER_STATUS'")" ON
check "two semi-sync replicas" "$(R 1 "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='RPL_SEMI_SYNC_MASTER_CLIENTS'")" 2
APP 1 "INSERT INTO app.t(v,node) VALUES ('s1',1)"
$L caught-up 20

# stall: received but not executed
$L stall 2
APP 1 "INSERT INTO app.t(v,node) VALUES ('s2',1)"; sleep 1
io=$(RV 2 "SHOW ALL SLAVES STATUS\G" | awk -F': ' '/ Gtid_IO_Pos:/{print $2}')
check "stalled replica received more than it executed" "$($L contains "$io" "$(R 2 "SELECT @@gtid_slave_pos")")-$($L contains "$(R 2 "SELECT @@gtid_slave_pos")" "$io")" yes-no
$L unstall 2; $L caught-up 20

# failover: kill -9 the leader, promote 2, re-point 3, rejoin 1
$L kill-primary
$L promote 2
$L follow 3 2
APP 2 "INSERT INTO app.t(v,node) VALUES ('s3',2)"
$L start 1
check "old leader restarts read-only" "$(R 1 "SELECT @@read_only")" 1
check "old leader has no errant transactions" "$($L errant "$(R 1 "SELECT @@gtid_binlog_state")" "$(R 2 "SELECT @@gtid_binlog_state")")" ""
R 1 "SET GLOBAL gtid_slave_pos=@@gtid_binlog_pos"
$L follow 1 2
$L semisync on 3000
$L caught-up 20
check "rows equal on 1 and 2" "$(R 1 "SELECT COUNT(*) FROM app.t")" "$(R 2 "SELECT COUNT(*) FROM app.t")"

# split brain: freeze leader 2, promote 3, thaw 2 and write to it -> errant
$L freeze 2
$L promote 3
$L follow 1 3
$L thaw 2
APP 2 "INSERT INTO app.t(v,node) VALUES ('errant',2)" 2>/dev/null
APP 3 "INSERT INTO app.t(v,node) VALUES ('s4',3)"
bad=$($L errant "$(R 2 "SELECT @@gtid_binlog_state")" "$(R 3 "SELECT @@gtid_binlog_state")")
check "errant transaction detected on node 2" "${bad:+found}" found
$L fence 2
check "fenced node refuses app writes" "$(APP 2 "INSERT INTO app.t(v,node) VALUES ('x',2)" 2>&1 | grep -o 1290 | head -1)" 1290
R 2 "SET GLOBAL gtid_slave_pos=@@gtid_binlog_pos"
$L follow 2 3; sleep 2
check "following with errant transactions fails with 1236" "$(RV 2 "SHOW SLAVE STATUS\G" | awk -F': ' '/ Last_IO_Errno:/{print $2}')" 1236
$L rebuild 2 3
check "rebuilt node 2 has no errant transactions" "$($L errant "$(R 2 "SELECT @@gtid_binlog_state")" "$(R 3 "SELECT @@gtid_binlog_state")")" ""
check "rows equal on 2 and 3" "$(R 2 "SELECT COUNT(*) FROM app.t")" "$(R 3 "SELECT COUNT(*) FROM app.t")"

# semi-sync fallback: both replicas stopped -> commit waits for the timeout, then asynchronous
$L semisync on 2000
R 1 "STOP SLAVE"; R 2 "STOP SLAVE"; sleep 0.5
t0=$(date +%s%3N); APP 3 "INSERT INTO app.t(v,node) VALUES ('s5',3)"; took=$(( $(date +%s%3N) - t0 ))
check "commit waited for the semi-sync timeout (>=2000 ms, took $took)" "$(( took >= 2000 ))" 1
check "semi-sync switched off" "$(R 3 "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='RPL_SEMI_SYNC_MASTER_STATUS'")" OFF
R 1 "START SLAVE"; R 2 "START SLAVE"; sleep 1
check "semi-sync back on once a replica reconnects" "$(R 3 "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='RPL_SEMI_SYNC_MASTER_STATUS'")" ON
$L caught-up 20
$L status
echo "$pass passed, $fail failed"
