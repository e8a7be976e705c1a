# METADATA
# title: No access for everyone when no ACL is found
# description: >-
#   allow.everyone.if.no.acl.found makes the ACL authorizer allow every
#   principal on any resource that has no ACL, so a new topic is open to all
#   until someone writes ACLs for it. Kafka's default is false.
# related_resources:
#   - ref: https://kafka.apache.org/documentation/#security_authz
#     description: Apache Kafka, authorization and ACLs
# custom:
#   id: security.allow-everyone
#   input: spec
package kafkac.rules.security.allow_everyone

import data.kafkac.lib

option := "allow.everyone.if.no.acl.found"

violation contains result if {
	some cluster in input.clusters
	lib.is_true(lib.config(cluster)[option])
	path := lib.config_path(option)
	result := lib.violation("security.allow-everyone", cluster.kafka, path, sprintf(
		"%s: %s is true, so every principal may use any topic or group that has no ACL yet",
		[lib.named(cluster.kafka), lib.field(path)],
	))
}
