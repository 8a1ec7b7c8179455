#!/usr/bin/env bash
# read_only / fencing semantics on node 3 (the current primary). Timestamps come from the server (NOW(6)).
HERE=$(dirname "$(readlink -f "$0")")
export LAB=${LAB:?set LAB to a scratch folder first, e.g. export LAB=$(mktemp -d)}
cd "$LAB"
M="mariadb --no-defaults -h127.0.0.1 -P3318 -uapp -papp --force -N"
R() { mariadb --no-defaults -uroot -S n3/mysqld.sock -N -e "$*"; }
echo "=== case A: open (uncommitted) transaction, then SET GLOBAL read_only=ON, then COMMIT"
R "SET GLOBAL read_only=OFF"
( echo "BEGIN; INSERT INTO app.t(v,node) VALUES ('A-open-trx',3); SELECT 'A: inserted (trx open)', NOW(6);"; sleep 5; echo "SELECT 'A: COMMIT at', NOW(6); COMMIT; SELECT 'A: after commit', NOW(6); INSERT INTO app.t(v,node) VALUES ('A-new-write',3); SELECT 'A: after new write', NOW(6);" ) | $M > bgA.out 2>&1 &
sleep 2
R "SELECT 'R: SET read_only=ON start', NOW(6); SET GLOBAL read_only=ON; SELECT 'R: SET read_only=ON done', NOW(6);"
wait $!; cat bgA.out
R "SELECT 'A rows:', GROUP_CONCAT(v) FROM app.t WHERE v LIKE 'A-%'"
echo "=== case B: running write statement (INSERT ... SELECT SLEEP(4)), then SET GLOBAL read_only=ON"
R "SET GLOBAL read_only=OFF"
( echo "SELECT 'B: slow insert start', NOW(6); INSERT INTO app.t(v,node) SELECT CONCAT('B-slow-', SLEEP(4)), 3; SELECT 'B: slow insert done', NOW(6);" ) | $M > bgB.out 2>&1 &
sleep 2
R "SELECT 'R: SET read_only=ON start', NOW(6); SET GLOBAL read_only=ON; SELECT 'R: SET read_only=ON done', NOW(6);"
wait $!; cat bgB.out
echo "=== case C: idle session survives read_only=ON, can read, cannot write; fence kills it"
R "SET GLOBAL read_only=OFF"
( echo "SELECT 'C: connected', CONNECTION_ID();"; sleep 3; echo "SELECT 'C: rows', COUNT(*) FROM app.t; INSERT INTO app.t(v,node) VALUES ('C-write',3);"; sleep 4; echo "SELECT 'C: still alive';" ) | $M > bgC.out 2>&1 &
sleep 1.5
R "SET GLOBAL read_only=ON"
sleep 3
R "SELECT ID,USER,HOST,COMMAND,TIME,STATE FROM information_schema.PROCESSLIST ORDER BY ID"
"$HERE/lab.sh" fence 3
R "SELECT ID,USER,HOST,COMMAND,TIME,STATE FROM information_schema.PROCESSLIST ORDER BY ID"
wait $!; cat bgC.out
R "SET GLOBAL read_only=OFF"
