#!/bin/bash
# Test PKI for TLS tests, generated at test time in $1 (openssl):
#   ca.pem/ca.key           the trusted test CA
#   leaf.pem/leaf.key       localhost, *.zp.test, 127.0.0.1, ::1 — signed by ca (ECDSA P-256)
#   rsa.pem/rsa.key         the same names, RSA-2048, signed by ca
#   other.pem/other.key     other.zp.example (SNI selection; signed by ca)
#   expired.pem/.key        localhost, valid 2020-01-01..2020-02-01 (signed by ca)
#   wrongname.pem/.key      wrong.example only (signed by ca)
#   self.pem/self.key       localhost, self-signed
#   chain.pem/chain.key     localhost via an intermediate of ca (chain.pem = leaf + intermediate)
#   untrusted.pem/.key      localhost via an intermediate of a root nobody trusts (leaf + intermediate)
#   client.pem/client.key   a client certificate signed by ca
set -euo pipefail
d=$1
mkdir -p "$d"
cd "$d"
ec() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca_cnf() {  # $1 = CA name (files $1.pem $1.key); a config for `openssl ca` (arbitrary dates)
  mkdir -p "db_$1"
  : > "db_$1/index.txt"
  [ -f "db_$1/serial" ] || echo 1000 > "db_$1/serial"
  cat > "db_$1/ca.cnf" <<CNF
[ca]
default_ca = d
[d]
database = db_$1/index.txt
new_certs_dir = db_$1
serial = db_$1/serial
default_md = sha256
policy = p
unique_subject = no
[p]
commonName = supplied
CNF
}
# sign NAME CA "SAN" [start end] [ca:true]
sign() {
  local name=$1 ca=$2 san=$3 start=${4:-} end=${5:-} isca=${6:-false}
  openssl req -new -key "$name.key" -out "$name.csr" -subj "/CN=${name}" 2>/dev/null
  printf "basicConstraints=critical,CA:%s\n" "$isca" > "$name.ext"
  [ -n "$san" ] && printf "subjectAltName=%s\n" "$san" >> "$name.ext"
  [ "$isca" = true ] && printf "keyUsage=critical,keyCertSign,cRLSign\n" >> "$name.ext"
  ca_cnf "$ca"
  local dates=(-days 30)
  [ -n "$start" ] && dates=(-startdate "$start" -enddate "$end")
  openssl ca -batch -notext -config "db_$ca/ca.cnf" -cert "$ca.pem" -keyfile "$ca.key" \
    -in "$name.csr" -out "$name.pem" -extfile "$name.ext" "${dates[@]}" 2>/dev/null
}
root() {  # root NAME
  ec "$1.key"
  openssl req -x509 -new -key "$1.key" -out "$1.pem" -days 30 -subj "/CN=$1" \
    -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
NAMES="DNS:localhost,DNS:*.zp.test,IP:127.0.0.1,IP:::1"
root ca
root rogue
ec leaf.key; sign leaf ca "$NAMES"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null; sign rsa ca "$NAMES"
ec other.key; sign other ca "DNS:other.zp.example"
ec expired.key; sign expired ca "$NAMES" 20200101000000Z 20200201000000Z
ec wrongname.key; sign wrongname ca "DNS:wrong.example"
ec self.key
openssl req -x509 -new -key self.key -out self.pem -days 30 -subj /CN=localhost -addext "subjectAltName=$NAMES" 2>/dev/null
ec inter.key; sign inter ca "" "" "" true
ec chainleaf.key; sign chainleaf inter "$NAMES"
cat chainleaf.pem inter.pem > chain.pem; cp chainleaf.key chain.key
ec rogueinter.key; sign rogueinter rogue "" "" "" true
ec untrustedleaf.key; sign untrustedleaf rogueinter "$NAMES"
cat untrustedleaf.pem rogueinter.pem > untrusted.pem; cp untrustedleaf.key untrusted.key
ec client.key; sign client ca ""
rm -f ./*.csr ./*.ext
