# Sourced by kafka-run.sh and kafka-ready.sh: the settings with which a node's
# own Kafka tools reach a node over TLS, presenting this node's certificate
# ($node_certs_dir, its key store password in $node_password as a properties
# value) and trusting only the cluster CA ($cluster_ca_certs_dir).
node_client_properties() { # request timeout, API timeout, connection setup timeout (ms)
  cat <<EOF_PROPERTIES
request.timeout.ms=$1
default.api.timeout.ms=$2
socket.connection.setup.timeout.ms=$3
socket.connection.setup.timeout.max.ms=$3
security.protocol=SSL
ssl.keystore.type=PKCS12
ssl.keystore.location=$node_certs_dir/node.p12
ssl.keystore.password=$node_password
ssl.key.password=$node_password
ssl.truststore.type=PEM
ssl.truststore.location=$cluster_ca_certs_dir/ca.crt
EOF_PROPERTIES
}
