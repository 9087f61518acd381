#!/usr/bin/env bash
# Makes the secret material the overlays turn into Kubernetes Secrets: a random token, a private CA
# and the learner's TLS certificate for its Service name. Usage:
#   deploy/k8s/make-secrets.sh DIR [NAMESPACE] [EXTRA_DNS_NAME...]
# e.g. deploy/k8s/make-secrets.sh deploy/k8s/overlays/edge/secrets coknight
# Writes DIR/{token,ca.crt,ca.key,tls.crt,tls.key}, mode 0600 (ca.key stays here: it signs renewals
# and is not put in any Secret). Needs openssl.
set -euo pipefail
dir="${1:?usage: make-secrets.sh DIR [NAMESPACE] [EXTRA_DNS_NAME...]}"
ns="${2:-coknight}"
shift $(($# < 2 ? $# : 2))
umask 077
mkdir -p "$dir"
openssl rand -hex 24 >"$dir/token"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 -subj "/CN=coknight-ca" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
# Actors dial the learner by its Service name: the short name, and the namespaced forms.
san="DNS:coknight-learner,DNS:coknight-learner.$ns,DNS:coknight-learner.$ns.svc,DNS:coknight-learner.$ns.svc.cluster.local"
for extra in "$@"; do san="$san,DNS:$extra"; done
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=coknight-learner" \
  -keyout "$dir/tls.key" -out "$dir/tls.csr" 2>/dev/null
openssl x509 -req -in "$dir/tls.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial -days 825 -out "$dir/tls.crt" \
  -extfile <(printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n' "$san") 2>/dev/null
rm -f "$dir/tls.csr" "$dir/ca.srl"
echo "secret material for namespace $ns in $dir (token, ca.crt, tls.crt, tls.key; keep ca.key private)"
