package kafkac.rules.connect.credentials_test

import data.kafkac.connect_fixtures as fixtures
import data.kafkac.rules.connect.credentials

test_quiet_with_authentication if {
	count(credentials.violation) == 0 with input as fixtures.spec(fixtures.connect)
}

test_fires_without_authentication if {
	c := fixtures.changed([{"op": "replace", "path": "/facts/authentication", "value": null}])
	results := credentials.violation with input as fixtures.spec(c)
	fixtures.paths(results) == {["spec"]}
}
