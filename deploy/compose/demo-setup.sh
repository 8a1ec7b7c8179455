#!/bin/sh
# docker-compose.yml's one-shot demo-setup, once Keycloak, the registry and the demo nodes are healthy:
#   1. a person who can sign in to the dashboard: demo-admin (realm role regent-admin) in the regent realm,
#      password REGENT_DEMO_ADMIN_PASSWORD;
#   2. the demo cluster (deploy/compose/demo-cluster.json: demo-1 leads demo-2 and demo-3) registered, with
#      automatic failover off until demo-1 runs: its agent starts its server only once the registry names it
#      the leader and grants it the leader lease, seconds after the registration - seconds in which the
#      failover-service would find the leader down and record a failover (refused: no follower exists yet),
#      which makes the registry refuse demo-1's lease and its agent fence its own server. The followers are
#      built meanwhile (the failover-service's BOOTSTRAP through their agents, once it sees the leader
#      healthy); once every node accepts connections, automatic failover is switched on.
# Registering needs the regent-admin role, which no client of the realm has (the services' clients have
# regent-service only), so step 2 borrows a temporary confidential client with that role and deletes it
# at the end. Running it again changes nothing: the user and the cluster are found (409) and kept, automatic
# failover is switched on (again).
set -eu
: "${KEYCLOAK_URL:?}" "${REGISTRY_URL:?}" "${KEYCLOAK_ADMIN:?}" "${KEYCLOAK_ADMIN_PASSWORD:?}"
: "${REGENT_DEMO_ADMIN_PASSWORD:?}" "${CLUSTER_FILE:=/demo/demo-cluster.json}"
realm=regent
admin_api="$KEYCLOAK_URL/admin/realms/$realm"
setup_client=regent-demo-setup
body=$(mktemp)

# The first value of a string field of a JSON answer (Keycloak's are compact; this image has no jq).
field() { grep -o "\"$1\":\"[^\"]*\"" | head -n 1 | cut -d '"' -f 4; }

# call METHOD URL TOKEN [JSON]: prints the answer's body; 409 (exists already) is fine, any other
# status >= 300 stops the setup with the answer.
call() {
    if [ $# -ge 4 ]; then
        status=$(curl -sS -o "$body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $3" \
            -H 'Content-Type: application/json' --data "$4" "$2")
    else
        status=$(curl -sS -o "$body" -w '%{http_code}' -X "$1" -H "Authorization: Bearer $3" "$2")
    fi
    case "$status" in
        2??) cat "$body" ;;
        409) echo "  $1 $2: exists already" >&2 ;;
        *) echo "demo-setup: $1 $2 answered $status" >&2; cat "$body" >&2; echo >&2; exit 1 ;;
    esac
}

token() {  # token REALM FORM-FIELDS...: an access token from Keycloak's token endpoint
    r=$1; shift
    curl -fsS "$@" "$KEYCLOAK_URL/realms/$r/protocol/openid-connect/token" | field access_token
}

# Keycloak's admin tokens live 60 s and the wait for the nodes below can take longer: a call after it gets a
# fresh token (an expired one made the clean-up answer 401 and fail the whole setup once it had succeeded)
admin_token() {
    token master -d grant_type=password -d client_id=admin-cli -d "username=$KEYCLOAK_ADMIN" \
        --data-urlencode "password=$KEYCLOAK_ADMIN_PASSWORD"
}
admin=$(admin_token)
role=$(call GET "$admin_api/roles/regent-admin" "$admin")

echo "demo-setup: user demo-admin with role regent-admin"
call POST "$admin_api/users" "$admin" '{"username":"demo-admin","enabled":true,"firstName":"Demo",
    "lastName":"Admin","email":"demo-admin@example.com","emailVerified":true}' >/dev/null
user=$(call GET "$admin_api/users?exact=true&username=demo-admin" "$admin" | field id)
call PUT "$admin_api/users/$user/reset-password" "$admin" \
    "{\"type\":\"password\",\"value\":\"$REGENT_DEMO_ADMIN_PASSWORD\",\"temporary\":false}" >/dev/null
call POST "$admin_api/users/$user/role-mappings/realm" "$admin" "[$role]" >/dev/null

echo "demo-setup: cluster demo"
stale=$(call GET "$admin_api/clients?clientId=$setup_client" "$admin" | field id)
[ -z "$stale" ] || call DELETE "$admin_api/clients/$stale" "$admin" >/dev/null
secret=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
call POST "$admin_api/clients" "$admin" "{\"clientId\":\"$setup_client\",\"publicClient\":false,
    \"secret\":\"$secret\",\"serviceAccountsEnabled\":true,\"standardFlowEnabled\":false,
    \"directAccessGrantsEnabled\":false}" >/dev/null
client=$(call GET "$admin_api/clients?clientId=$setup_client" "$admin" | field id)
trap 'call DELETE "$admin_api/clients/$client" "$(admin_token)" >/dev/null' EXIT
account=$(call GET "$admin_api/clients/$client/service-account-user" "$admin" | field id)
call POST "$admin_api/users/$account/role-mappings/realm" "$admin" "[$role]" >/dev/null
registrar_token() {
    token "$realm" -d grant_type=client_credentials -d "client_id=$setup_client" -d "client_secret=$secret"
}
registrar=$(registrar_token)
call POST "$REGISTRY_URL/api/v1/clusters" "$registrar" "$(cat "$CLUSTER_FILE")" >/dev/null
cluster=$(sed 's/": "/":"/g' "$CLUSTER_FILE" | field id)

# every node's address in the cluster file; bash for /dev/tcp
nodes=$(sed -n 's/.*"host": *"\([^"]*\)".*"port": *\([0-9]*\).*/\1:\2/p' "$CLUSTER_FILE")
echo "demo-setup: waiting for every node to accept connections:" $nodes
waited=0
for node in $nodes; do
    until bash -c "exec 3<>/dev/tcp/${node%:*}/${node#*:}" 2>/dev/null; do
        waited=$((waited + 2))
        if [ "$waited" -gt "${NODE_WAIT_SECONDS:-300}" ]; then
            echo "demo-setup: ${node%:*} does not accept connections after $waited s: see its log" \
                "(docker compose logs ${node%:*})" >&2
            exit 1
        fi
        sleep 2
    done
done
echo "demo-setup: automatic failover on for cluster $cluster"
registrar=$(registrar_token) # the wait may have outlasted the first one
name=$(sed 's/": "/":"/g' "$CLUSTER_FILE" | field displayName)
call PUT "$REGISTRY_URL/api/v1/clusters/$cluster" "$registrar" \
    "{\"displayName\":\"$name\",\"replication\":{\"mode\":\"SYNC_ANY\",\"syncCount\":1},\"failoverPolicy\":{\"automatic\":true}}" >/dev/null

echo "demo-setup: done - sign in at the dashboard as demo-admin"
