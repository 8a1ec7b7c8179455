#!/bin/sh
# The command signing key pair: the api-gateway signs every command it accepts (switchover, failover,
# maintenance) with the Ed25519 private key, and the failover-service acts only on commands that one of
# its public keys verifies (docs/security-deployment-draft.md).
#
#   deploy/make-command-keys.sh            # a new key pair, as the two lines of .env:
#     REGENT_COMMAND_SIGNING_KEY=<Base64 DER PKCS#8 private key>         the gateways only
#     REGENT_COMMAND_VERIFY_KEYS=<Base64 DER X.509 SubjectPublicKeyInfo>  every failover-service
#   deploy/make-command-keys.sh --public   # reads a REGENT_COMMAND_SIGNING_KEY value (or the whole line)
#                                          # on stdin, prints the REGENT_COMMAND_VERIFY_KEYS line of its key
#
# Into .env (docker compose), replacing the empty lines .env.example has:
#   deploy/make-command-keys.sh | while IFS= read -r line; do sed -i "s|^${line%%=*}=\$|$line|" .env; done
# Kubernetes: the first value into the Secret regent-command-signing (key signing-key), the second into
# REGENT_COMMAND_VERIFY_KEYS of the ConfigMap regent-config (k8s/README.md).
#
# During a rotation REGENT_COMMAND_VERIFY_KEYS holds two keys, comma-separated: the new one and the old
# one. Nothing is written to disk; the private key goes to stdout only. Needs openssl 1.1.1 or later.
set -eu

# Base64 on one line (GNU base64 -w0; other base64s wrap, so drop the newlines)
b64() {
  if base64 -w0 </dev/null >/dev/null 2>&1; then base64 -w0; else base64 | tr -d '\n'; fi
}

case "${1:-}" in
  "")
    # PEM in a shell variable: the private key never touches a file
    key=$(openssl genpkey -algorithm ed25519)
    ;;
  --public)
    value=$(sed -n '1{s/^REGENT_COMMAND_SIGNING_KEY=//;p;}')
    [ -n "$value" ] || { echo "make-command-keys.sh --public: no key on stdin" >&2; exit 1; }
    verify=$(printf '%s' "$value" | openssl base64 -d -A | openssl pkey -inform DER -pubout -outform DER | b64)
    [ -n "$verify" ] || { echo "make-command-keys.sh --public: not a Base64 PKCS#8 private key" >&2; exit 1; }
    printf 'REGENT_COMMAND_VERIFY_KEYS=%s\n' "$verify"
    exit 0
    ;;
  -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
  *) echo "make-command-keys.sh: unknown argument $1 (--help)" >&2; exit 2 ;;
esac

signing=$(printf '%s\n' "$key" | openssl pkey -outform DER | b64)
verify=$(printf '%s\n' "$key" | openssl pkey -pubout -outform DER | b64)
[ -n "$signing" ] && [ -n "$verify" ] || { echo "make-command-keys.sh: openssl made no Ed25519 key" >&2; exit 1; }
printf 'REGENT_COMMAND_SIGNING_KEY=%s\n' "$signing"
printf 'REGENT_COMMAND_VERIFY_KEYS=%s\n' "$verify"
