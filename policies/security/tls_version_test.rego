package kafkac.rules.security.tls_version_test

import data.kafkac.fixtures
import data.kafkac.rules.security.tls_version

with_option(option, value) := fixtures.changed([{"op": "add", "path": sprintf("/kafka/spec/kafka/config/%s", [option]), "value": value}])

test_quiet_with_tls_1_2_and_1_3 if {
	count(tls_version.violation) == 0 with input as fixtures.spec(fixtures.cluster)
	count(tls_version.violation) == 0 with input as fixtures.spec(with_option("ssl.enabled.protocols", "TLSv1.2,TLSv1.3"))
	count(tls_version.violation) == 0 with input as fixtures.spec(with_option("ssl.protocol", "TLSv1.3"))
}

test_fires_on_older_protocols if {
	results := tls_version.violation with input as fixtures.spec(with_option("ssl.enabled.protocols", "TLSv1.1, TLSv1.2"))
	some result in results
	contains(result.msg, "allows TLSv1.1;")
	count(tls_version.violation) == 1 with input as fixtures.spec(with_option("ssl.protocol", "TLSv1"))
}
