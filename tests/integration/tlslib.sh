# TLS helpers for the integration and browser tests (sourced after
# lib.sh, never run on its own).
#
# make_test_certs [KEY TYPE]: a test CA and a certificate for 127.0.0.1
# and localhost signed by it, made with certtool (Debian gnutls-bin, which
# ./bootstrap installs); the server's key is ECDSA unless KEY TYPE says
# otherwise (rsa: static RSA key exchange becomes possible).  Sets CA,
# CERT and KEY (PEM files in $TMP).
make_test_certs() {
	key_type=${1:-ecdsa}
	need_tool certtool certtool gnutls-bin
	cat >"$TMP/ca.tmpl" <<'TMPL'
cn = "Broadside test CA"
ca
cert_signing_key
expiration_days = 2
TMPL
	cat >"$TMP/server.tmpl" <<'TMPL'
cn = "127.0.0.1"
ip_address = "127.0.0.1"
dns_name = "localhost"
tls_www_server
signing_key
encryption_key
expiration_days = 2
TMPL
	certtool --generate-privkey --key-type=ecdsa --outfile "$TMP/ca.key" \
	    >"$TMP/certtool.log" 2>&1 &&
	certtool --generate-self-signed --load-privkey "$TMP/ca.key" \
	    --template "$TMP/ca.tmpl" --outfile "$TMP/ca.pem" \
	    >>"$TMP/certtool.log" 2>&1 &&
	certtool --generate-privkey --key-type="$key_type" \
	    --outfile "$TMP/server.key" >>"$TMP/certtool.log" 2>&1 &&
	certtool --generate-certificate --load-privkey "$TMP/server.key" \
	    --load-ca-certificate "$TMP/ca.pem" \
	    --load-ca-privkey "$TMP/ca.key" --template "$TMP/server.tmpl" \
	    --outfile "$TMP/server.pem" >>"$TMP/certtool.log" 2>&1 ||
	    fail "certtool could not make the test certificates: $(tail -n 5 "$TMP/certtool.log")"
	CA=$TMP/ca.pem
	CERT=$TMP/server.pem
	KEY=$TMP/server.key
}
