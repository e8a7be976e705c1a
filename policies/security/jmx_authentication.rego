# METADATA
# title: JMX is opened with a password
# description: >-
#   spec.kafka.jmxOptions opens port 9999 of every Kafka node, to every pod
#   (Strimzi's NetworkPolicy leaves it open to all). Without
#   authentication the JVM gives any client that reaches it full access: it
#   reads every MBean, changes what is writable and invokes operations, which
#   on a JVM is enough to run code of the client's choosing. So it is denied
#   in prod, and only warned of in dev, where a local jconsole is the point.
#   authentication type password gives one user from a Secret read-only
#   access.
# related_resources:
#   - ref: https://strimzi.io/docs/operators/latest/configuring.html#type-KafkaJmxOptions-reference
#     description: Strimzi, KafkaJmxOptions schema reference
#   - ref: https://docs.oracle.com/en/java/javase/17/management/monitoring-and-management-using-jmx-technology.html
#     description: Java SE 17, monitoring and management using JMX technology
# custom:
#   id: security.jmx-authentication
#   input: spec
package kafkac.rules.security.jmx_authentication

import data.kafkac.lib

violation contains result if {
	some cluster in input.clusters
	jmx := cluster.kafka.spec.kafka.jmxOptions
	not jmx.authentication
	path := ["spec", "kafka", "jmxOptions"]
	result := lib.violation("security.jmx-authentication", cluster.kafka, path, sprintf(
		"%s: %s opens JMX on port 9999 to anyone who reaches it, with full access; set %s.authentication.type: password",
		[lib.named(cluster.kafka), lib.field(path), lib.field(path)],
	))
}
