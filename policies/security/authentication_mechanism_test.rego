package kafkac.rules.security.authentication_mechanism_test

import data.kafkac.fixtures
import data.kafkac.rules.security.authentication_mechanism

with_authentication(type) := fixtures.changed([{
	"op": "add", "path": "/kafka/spec/kafka/listeners/0/authentication",
	"value": {"type": type},
}])

test_quiet_with_scram_or_tls_or_none if {
	count(authentication_mechanism.violation) == 0 with input as fixtures.spec(fixtures.cluster)
	every type in ["scram-sha-512", "tls"] {
		count(authentication_mechanism.violation) == 0 with input as fixtures.spec(with_authentication(type))
	}
}

test_fires_on_other_mechanisms if {
	every type in ["oauth", "custom"] {
		results := authentication_mechanism.violation with input as fixtures.spec(with_authentication(type))
		fixtures.paths(results) == {["spec", "kafka", "listeners", 0, "authentication", "type"]}
	}
}
