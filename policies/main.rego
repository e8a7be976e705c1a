# METADATA
# title: kafkac's entry point
# description: >-
#   Every rule's results with the severity the profile gives them. A rule is
#   a package kafkac.rules.<area>.<name> that defines a set `violation` of
#   objects with at least `id` and `msg`. Its severity is
#   data.kafkac.severity[id][profile] (policies/data.json); a rule that is not
#   listed there may give `severity` itself, "deny", "warn" or "info" or one per
#   profile, and is "deny" otherwise. kafkac evaluates data.kafkac.main.findings
#   once per cluster and once per rendered chart, all in one request of
#   data.kafkac.main.bulk.
package kafkac.main

default profile := "prod"

profile := input.profile if is_string(input.profile)

# Many inputs in one request: input.inputs is a list of input documents, and
# the result is the list of their findings, in the same order.
bulk := [result |
	some item in input.inputs
	result := findings with input as item
]

findings contains finding if {
	some area, name
	some result in data.kafkac.rules[area][name].violation
	finding := _finding(sprintf("kafkac.rules.%s.%s", [area, name]), result)
}

_finding(package_name, result) := object.union(result, {
	"package": package_name,
	"severity": severity(result),
}) if is_object(result)

# A result that is not an object is reported as it is, so that kafkac can name
# the rule that gave it instead of dropping it.
_finding(package_name, result) := {"package": package_name, "malformed": result} if not is_object(result)

severity(result) := level if {
	level := data.kafkac.severity[result.id][profile]
} else := level if {
	level := result.severity[profile]
} else := level if {
	is_string(result.severity)
	level := result.severity
} else := "deny"
