package kafkac.rules.security.jmx_authentication_test

import data.kafkac.fixtures
import data.kafkac.rules.security.jmx_authentication

with_jmx(options) := fixtures.changed([{"op": "add", "path": "/kafka/spec/kafka/jmxOptions", "value": options}])

test_quiet_without_jmx if {
	count(jmx_authentication.violation) == 0 with input as fixtures.spec(fixtures.cluster)
}

test_quiet_with_password_authentication if {
	cluster := with_jmx({"authentication": {"type": "password"}})
	count(jmx_authentication.violation) == 0 with input as fixtures.spec(cluster)
}

test_fires_on_jmx_without_authentication if {
	results := jmx_authentication.violation with input as fixtures.spec(with_jmx({}))
	fixtures.paths(results) == {["spec", "kafka", "jmxOptions"]}
}
