package kafkac.rules.security.allow_everyone_test

import data.kafkac.fixtures
import data.kafkac.rules.security.allow_everyone

test_quiet_unless_set_true if {
	count(allow_everyone.violation) == 0 with input as fixtures.spec(fixtures.cluster)
	off := fixtures.changed([{"op": "add", "path": "/kafka/spec/kafka/config/allow.everyone.if.no.acl.found", "value": "false"}])
	count(allow_everyone.violation) == 0 with input as fixtures.spec(off)
}

test_fires_when_true if {
	cluster := fixtures.changed([{"op": "add", "path": "/kafka/spec/kafka/config/allow.everyone.if.no.acl.found", "value": true}])
	count(allow_everyone.violation) == 1 with input as fixtures.spec(cluster)
}
