"""What kafkac says of Strimzi fields its schemas do not take: the ones only Strimzi's v1beta2
API had (a field or a value), the ones that configure Strimzi's own operators or workloads and
so change nothing here (accepted with a warning), and the refused ones whose refusal has more
to say than "not supported" (what replaces them). Paths are in strimzi-fields notation
(`spec.kafka.listeners[].type`); schema_errors.py words the findings.
"""

from __future__ import annotations

# Values of Strimzi's v1beta2 API that its v1 CRDs (strimzi-fields.json) no longer list:
# (kind, field path in strimzi-fields notation) -> the values.
STRIMZI_V1BETA2_VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("Kafka", "spec.kafka.listeners[].authentication.type"): ("oauth",),
    ("Kafka", "spec.kafka.authorization.type"): ("keycloak", "opa"),
}
_EXTERNAL_CONFIGURATION = (
    "Strimzi's v1 API has no externalConfiguration: move its env to spec.template.connectContainer.env, "
    "and its volumes to spec.template.pod.volumes with spec.template.connectContainer.volumeMounts under "
    "/mnt; or keep apiVersion kafka.strimzi.io/v1beta2, which kafkac reads as Strimzi did")
_STORAGE_OVERRIDES = (
    "per-broker storage overrides are gone from Strimzi's v1 API (deprecated since Strimzi 0.43): give each "
    "storage class a KafkaNodePool of its own, with that class in the pool's storage")
_BLACKLIST = "Strimzi's v1beta2 API renamed it {}, which kafkac reads: use that name (an exclude pattern too)"
# (kind, field path in strimzi-fields notation) -> why the field is refused
REFUSED_FIELD_HINTS: dict[tuple[str, str], str] = {
    ("KafkaNodePool", "spec.storage.id"): "only volumes inside jbod storage take an id; remove it",
    ("KafkaConnect", "spec.externalConfiguration"): _EXTERNAL_CONFIGURATION,
    ("KafkaMirrorMaker2", "spec.externalConfiguration"): _EXTERNAL_CONFIGURATION,
    **{(kind, f"{storage}.overrides"): _STORAGE_OVERRIDES
       for kind, storage in (("Kafka", "spec.kafka.storage"), ("Kafka", "spec.kafka.storage.volumes[]"),
                             ("Kafka", "spec.zookeeper.storage"), ("KafkaNodePool", "spec.storage"),
                             ("KafkaNodePool", "spec.storage.volumes[]"))},
    ("KafkaMirrorMaker2", "spec.mirrors[].topicsBlacklistPattern"): _BLACKLIST.format("topicsExcludePattern"),
    ("KafkaMirrorMaker2", "spec.mirrors[].groupsBlacklistPattern"): _BLACKLIST.format("groupsExcludePattern"),
}

# Fields of Strimzi's v1beta2 API that its v1 API (strimzi-fields.json) no longer has, in
# strimzi-fields notation; a trailing ".*" is anything below. Refused as Strimzi fields
# kafkac does not support, never as unknown fields.
_OAUTH_OPTIONS = (
    "clientId", "clientSecret", "validIssuerUri", "checkIssuer", "jwksEndpointUri", "jwksRefreshSeconds",
    "jwksMinRefreshPauseSeconds", "jwksExpirySeconds", "jwksIgnoreKeyUse", "introspectionEndpointUri",
    "userNameClaim", "fallbackUserNameClaim", "fallbackUserNamePrefix", "groupsClaim",
    "groupsClaimDelimiter", "userInfoEndpointUri", "checkAccessTokenType", "accessTokenIsJwt",
    "tlsTrustedCertificates", "disableTlsHostnameVerification", "enableECDSA",
    "maxSecondsWithoutReauthentication", "enablePlain", "tokenEndpointUri", "enableOauthBearer",
    "customClaimCheck", "connectTimeoutSeconds", "readTimeoutSeconds", "httpRetries", "httpRetryPauseMs",
    "clientScope", "clientAudience", "validTokenType", "checkAudience", "enableMetrics", "failFast",
    "includeAcceptHeader", "serverBearerTokenLocation", "userNamePrefix")
_KEYCLOAK_OPTIONS = (
    "clientId", "tokenEndpointUri", "tlsTrustedCertificates", "disableTlsHostnameVerification",
    "delegateToKafkaAcls", "grantsRefreshPeriodSeconds", "grantsRefreshPoolSize", "grantsMaxIdleTimeSeconds",
    "grantsGcPeriodSeconds", "grantsAlwaysLatest", "connectTimeoutSeconds", "readTimeoutSeconds",
    "httpRetries", "enableMetrics", "includeAcceptHeader", "url", "allowOnError", "initialCacheCapacity",
    "maximumCacheSize", "expireAfterMs")
STRIMZI_V1BETA2_FIELDS: dict[str, frozenset[str]] = {
    "Kafka": frozenset({
        *(f"spec.kafka.listeners[].authentication.{o}" for o in _OAUTH_OPTIONS),
        *(f"spec.kafka.authorization.{o}" for o in _KEYCLOAK_OPTIONS),
        "spec.kafka.template.statefulset.*", "spec.zookeeper.template.statefulset.*", "spec.zookeeper.jmxOptions.*", "spec.jmxTrans.*",
        "spec.cruiseControl.tlsSidecar.*", "spec.kafkaExporter.template.service.*",
        "spec.entityOperator.topicOperator.reconciliationIntervalSeconds",
        "spec.entityOperator.topicOperator.zookeeperSessionTimeoutSeconds",
        "spec.entityOperator.topicOperator.topicMetadataMaxAttempts",
        "spec.entityOperator.userOperator.reconciliationIntervalSeconds",
        "spec.entityOperator.userOperator.zookeeperSessionTimeoutSeconds",
        "spec.entityOperator.tlsSidecar.*", "spec.entityOperator.template.tlsSidecarContainer.*",
    }),
    "KafkaNodePool": frozenset({"spec.template.statefulset.*"}),
    "KafkaConnect": frozenset({"spec.template.deployment.*", "spec.build.output.additionalKanikoOptions"}),
    "KafkaMirrorMaker2": frozenset({"spec.template.deployment.*", "spec.mirrors[].topicsBlacklistPattern",
                                    "spec.mirrors[].groupsBlacklistPattern"}),
}


def v1beta2_only(kind: str, notation: str) -> bool:
    fields = STRIMZI_V1BETA2_FIELDS.get(kind, frozenset())
    return notation in fields or any(
        field.endswith(".*") and (notation == field[:-2] or notation.startswith(field[:-1]))
        for field in fields)


_CONNECT_DEPLOYMENT = ("the Deployment that Strimzi ran the workers in before its StrimziPodSets (its v1 "
                       "conversion deletes it); kafkac's StatefulSet takes spec.template.podSet")
_IN_CLUSTER_BUILD = ("the image build Strimzi runs in the cluster; kafkac writes a Containerfile into the chart "
                     "for your CI to build and push")
_STATEFULSET = ("the StatefulSet that Strimzi ran the pods in before its StrimziPodSets (its v1 API has it no "
                "more); kafkac's StatefulSet takes template.podSet")
# Settings of Strimzi's operators, which kafkac does not run: accepted, with a warning
# that they change nothing. (kind, field path in strimzi-fields notation, and what is
# below it) -> what they configure.
NO_EFFECT_FIELDS: dict[tuple[str, str], str] = {
    ("KafkaConnect", "spec.template.deployment"): _CONNECT_DEPLOYMENT,
    ("KafkaMirrorMaker2", "spec.template.deployment"): _CONNECT_DEPLOYMENT,
    ("KafkaConnect", "spec.build.output.additionalKanikoOptions"): _IN_CLUSTER_BUILD,
    ("KafkaConnect", "spec.build.output.additionalBuildOptions"): _IN_CLUSTER_BUILD,
    ("KafkaConnect", "spec.build.output.additionalPushOptions"): _IN_CLUSTER_BUILD,
    **{(kind, f"spec.template.{part}"): _IN_CLUSTER_BUILD
       for kind in ("KafkaConnect", "KafkaMirrorMaker2")
       for part in ("buildPod", "buildContainer", "buildConfig", "buildServiceAccount")},
    ("Kafka", "spec.kafka.template.statefulset"): _STATEFULSET,
    ("Kafka", "spec.zookeeper.template.statefulset"): _STATEFULSET,
    ("KafkaNodePool", "spec.template.statefulset"): _STATEFULSET,
    ("Kafka", "spec.cruiseControl.tlsSidecar"):
        "the TLS sidecar of Strimzi's Cruise Control pod, which Strimzi no longer runs, nor does kafkac",
    ("Kafka", "spec.kafkaExporter.template.service"):
        "a Service for Kafka Exporter that Strimzi no longer makes (Prometheus scrapes its pod)",
    ("Kafka", "spec.kafka.template.clusterCaCert"):
        "labels and annotations of the cluster CA certificate Secret, which kafkac's certificates Job makes "
        "with the cluster's labels only",
    ("Kafka", "spec.entityOperator.topicOperator"):
        "Strimzi's Topic Operator, which kafkac does not run (the chart's topics Job manages the KafkaTopics)",
    ("Kafka", "spec.entityOperator.userOperator"):
        "Strimzi's User Operator, which kafkac does not run (the chart's users Job manages the KafkaUsers)",
    ("Kafka", "spec.entityOperator.template"): "the Entity Operator's pod, which kafkac does not run",
    ("Kafka", "spec.entityOperator.tlsSidecar"): "the Entity Operator's pod, which kafkac does not run",
    ("Kafka", "spec.maintenanceTimeWindows"):
        "when Strimzi's operator may roll pods to renew certificates; the chart's certificates Job renews them "
        "only when `helm upgrade` runs it, at a time you choose",
    ("Kafka", "spec.clusterCa.generateSecretOwnerReference"):
        "whether the operator deletes the CA Secrets with the Kafka; the certificates Job's Secrets belong to no "
        "Helm release and stay after `helm uninstall`",
    ("Kafka", "spec.clientsCa.generateSecretOwnerReference"):
        "whether the operator deletes the CA Secrets with the Kafka; the certificates Job's Secrets belong to no "
        "Helm release and stay after `helm uninstall`",
}


def no_effect(kind: str, notation: str) -> str | None:
    for (field_kind, prefix), what in NO_EFFECT_FIELDS.items():
        if field_kind == kind and (notation == prefix or notation.startswith(prefix + ".")):
            return what
    return None
