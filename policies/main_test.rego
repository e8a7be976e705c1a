package kafkac.main_test

import data.kafkac.main

fake_rules := {"area": {"rule": {"violation": {
	{"id": "durability.replication-factor", "msg": "listed in data.json"},
	{"id": "custom.own-level", "msg": "gives its own severity", "severity": "warn"},
	{"id": "custom.per-profile", "msg": "one per profile", "severity": {"dev": "warn", "prod": "deny"}},
	{"id": "custom.default", "msg": "says nothing"},
	"not an object",
}}}}

severities(profile) := {finding.id: finding.severity |
	some finding in main.findings with data.kafkac.rules as fake_rules with input as {"profile": profile}
	finding.id
}

test_profile_data_decides_the_severity if {
	severities("prod")["durability.replication-factor"] == "deny"
	severities("dev")["durability.replication-factor"] == "warn"
}

test_a_rule_outside_the_profile_data_gives_its_own_severity_or_denies if {
	severities("prod")["custom.own-level"] == "warn"
	severities("prod")["custom.per-profile"] == "deny"
	severities("dev")["custom.per-profile"] == "warn"
	severities("dev")["custom.default"] == "deny"
}

test_results_carry_their_package_and_malformed_ones_are_kept if {
	findings := main.findings with data.kafkac.rules as fake_rules with input as {}
	every finding in findings {
		finding.package == "kafkac.rules.area.rule"
	}
	{"package": "kafkac.rules.area.rule", "malformed": "not an object"} in findings
}

test_profile_defaults_to_prod if {
	main.profile == "prod" with input as {}
	main.profile == "dev" with input as {"profile": "dev"}
}

test_every_profile_gives_every_listed_rule_deny_warn_or_info if {
	every _, levels in data.kafkac.severity {
		every profile in ["dev", "prod"] {
			levels[profile] in {"deny", "warn", "info"}
		}
	}
}

test_bulk_gives_each_inputs_findings_in_order if {
	results := main.bulk with data.kafkac.rules as fake_rules with input as {"inputs": [{"profile": "dev"}, {"profile": "prod"}]}
	count(results) == 2
	{f.id: f.severity | some f in results[0]; f.id}["custom.per-profile"] == "warn"
	{f.id: f.severity | some f in results[1]; f.id}["custom.per-profile"] == "deny"
	main.bulk == [] with input as {"inputs": []}
}
