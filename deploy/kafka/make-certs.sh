#!/bin/sh
# The TLS certificates of Regent's Kafka (docker-compose.yml, or an external broker for k8s/base):
# a certificate authority made for this deployment and the broker's certificate signed by it.
#
#   deploy/kafka/make-certs.sh                  # CA (first run only) + broker certificate for kafka, localhost
#   deploy/kafka/make-certs.sh --hosts kafka-0.example.com,kafka-1.example.com
#   deploy/kafka/make-certs.sh --new-ca         # rotation: a new CA; clients trust the old and the new one
#   deploy/kafka/make-certs.sh --drop-old-cas   # end of a rotation: clients trust the current CA only
#
# It writes into deploy/kafka/certs/ (git ignores it; --out DIR for another folder):
#   ca/ca.key, ca/ca.crt   the CA. ca.key signs broker certificates: keep it here or offline, mount it nowhere
#   broker/keystore.pem    the broker's private key (PKCS#8) and its certificate chain: Kafka's PEM key
#                          store (ssl.keystore.type=PEM), mounted into the kafka service only
#   broker/broker.crt      the chain alone (certificate, then the CA's), to inspect or hand out
#   client/ca.crt          what clients trust (PEM, the current CA plus any CA still being retired): mounted
#                          into every Regent service (KAFKA_SSL_TRUSTSTORE_LOCATION) and into the broker
#                          (its own controller connection)
#
# Running it again keeps the CA and issues a new broker certificate (renewal, or new host names); restart
# the broker to load it (docker compose restart kafka). Needs openssl 1.1.1 or later.
set -eu

out=$(dirname "$0")/certs
hosts=kafka,localhost
new_ca=false
drop_old=false
ca_days=${REGENT_KAFKA_CA_DAYS:-3650}
broker_days=${REGENT_KAFKA_BROKER_CERT_DAYS:-825}

while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --hosts) hosts=$2; shift 2 ;;
    --new-ca) new_ca=true; shift ;;
    --drop-old-cas) drop_old=true; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "make-certs.sh: unknown argument $1 (--help)" >&2; exit 2 ;;
  esac
done

umask 077
mkdir -p "$out/ca" "$out/broker" "$out/client"
# the broker and the services (uid 185 in the regent/* images) read broker/ and client/ through
# bind mounts, whatever uid owns them on the host
chmod 700 "$out/ca"
chmod 755 "$out" "$out/broker" "$out/client"

ca="$out/ca"
if [ "$drop_old" = true ]; then
  [ -f "$ca/ca.crt" ] || { echo "make-certs.sh: no CA in $ca" >&2; exit 1; }
  cp "$ca/ca.crt" "$out/client/ca.crt"
  chmod 644 "$out/client/ca.crt"
  rm -f "$ca"/retired-*.crt
  echo "client/ca.crt now holds the current CA only; restart the services so that they reload it"
  exit 0
fi

if [ "$new_ca" = true ] && [ -f "$ca/ca.key" ]; then
  # the old CA stays trusted by clients until --drop-old-cas
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  mv "$ca/ca.crt" "$ca/retired-$stamp.crt"
  rm -f "$ca/ca.key" "$ca/ca.srl"
fi

if [ ! -f "$ca/ca.key" ]; then
  openssl req -x509 -new -newkey rsa:3072 -nodes -sha256 -days "$ca_days" \
    -subj "/O=Regent/CN=Regent Kafka CA $(date -u +%Y-%m-%d)" \
    -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$ca/ca.key" -out "$ca/ca.crt" 2>/dev/null
  chmod 600 "$ca/ca.key"
  echo "new CA: $ca/ca.crt"
fi

# the broker's key and certificate: DNS names (and IP addresses) the clients connect to
san=""
first=""
for h in $(echo "$hosts" | tr ',' ' '); do
  [ -n "$first" ] || first=$h
  case "$h" in
    *[!0-9.]*) san="$san,DNS:$h" ;;
    *) san="$san,IP:$h" ;;
  esac
done
san=${san#,}
[ -n "$san" ] || { echo "make-certs.sh: --hosts names no host" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/broker.key" 2>/dev/null
openssl req -new -key "$work/broker.key" -subj "/O=Regent/CN=$first" -out "$work/broker.csr"
cat > "$work/ext.cnf" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=$san
EOF
openssl x509 -req -in "$work/broker.csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" -CAcreateserial \
  -CAserial "$ca/ca.srl" -days "$broker_days" -sha256 -extfile "$work/ext.cnf" -out "$work/broker.crt" 2>/dev/null

# Kafka's PEM key store: the key as PKCS#8 (genpkey writes it so), then the chain, leaf first
cat "$work/broker.crt" "$ca/ca.crt" > "$out/broker/broker.crt"
cat "$work/broker.key" "$out/broker/broker.crt" > "$out/broker/keystore.pem"
rm -f "$out/broker/broker.key" # left by older versions of this script
# the broker container runs as another uid (185) than the files' owner: the key store must be readable
# through the bind mount. Only the kafka service mounts broker/; on a shared host keep the repository
# in a folder other users cannot enter.
chmod 644 "$out/broker/keystore.pem" "$out/broker/broker.crt"

# what clients trust: the current CA, then the CAs being retired
cat "$ca/ca.crt" > "$work/trust.crt"
for retired in "$ca"/retired-*.crt; do
  [ -f "$retired" ] && cat "$retired" >> "$work/trust.crt"
done
cp "$work/trust.crt" "$out/client/ca.crt"
chmod 644 "$out/client/ca.crt"

echo "broker certificate for $san, valid $broker_days days: $out/broker/broker.crt"
echo "clients trust: $out/client/ca.crt ($(grep -c 'BEGIN CERTIFICATE' "$out/client/ca.crt") CA certificate(s))"
