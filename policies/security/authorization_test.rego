package kafkac.rules.security.authorization_test

import data.kafkac.fixtures
import data.kafkac.rules.security.authorization

test_quiet_with_an_authorizer if {
	count(authorization.violation) == 0 with input as fixtures.spec(fixtures.cluster)
}

test_fires_without_one if {
	cluster := fixtures.changed([{"op": "remove", "path": "/kafka/spec/kafka/authorization"}])
	results := authorization.violation with input as fixtures.spec(cluster)
	fixtures.paths(results) == {["spec", "kafka", "authorization"]}
}
