/*
 * Prints, as JSON, the configuration definitions of the Apache Kafka on the class path:
 * the broker's (the ConfigDef a broker validates server.properties against) and the
 * topic-level ones (what a topic's configs are validated against).
 *
 *     java -cp "$KAFKA_HOME/libs/*" DumpKafkaConfigs.java > 4.3.json
 *
 * For each option: its type, its default as Kafka writes it (null when it has none,
 * with `required` telling a missing default from a null one), whether it is internal,
 * its validator, for a broker option how it can be updated while the cluster runs
 * ("read-only", "per-broker", "cluster-wide"), and for a topic option the broker
 * option that gives its default.
 *
 * Validators are data when they are ConfigDef's own: Range (min, max; null when
 * open), ValidString and CaseInsensitiveValidString (values), ValidList (values, empty
 * meaning any; and whether an empty list, a repeated item or an empty item passes,
 * which changed between releases and is asked of the validator itself), NonEmptyString
 * and NonEmptyStringWithoutControlChars. Any other is "other", with its class and
 * its own description.
 *
 * The output is deterministic and is what Python's json.dumps(..., indent=2,
 * sort_keys=True) would write: keys sorted, two-space indentation, ASCII only.
 *
 * Version-specific classes are reached by reflection, so one source serves every
 * Kafka 4 release; compiling against whichever jars are on the class path must not
 * depend on classes that moved between releases.
 */

import java.io.PrintStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.types.Password;
import org.apache.kafka.common.utils.AppInfoParser;

public class DumpKafkaConfigs {

    private static final String BROKER_CONFIG_CLASS = "kafka.server.KafkaConfig";
    private static final String ABSTRACT_KAFKA_CONFIG_CLASS =
        "org.apache.kafka.server.config.AbstractKafkaConfig";
    private static final String LOG_CONFIG_CLASS = "org.apache.kafka.storage.internals.log.LogConfig";
    private static final String TOPIC_SYNONYMS_CLASS =
        "org.apache.kafka.server.config.ServerTopicConfigSynonyms";
    // Moved from Scala (kafka.server) to Java (org.apache.kafka.server.config) in Kafka 4.3.
    private static final String[] DYNAMIC_BROKER_CONFIG_CLASSES = {
        "org.apache.kafka.server.config.DynamicBrokerConfig", "kafka.server.DynamicBrokerConfig"};

    public static void main(String[] args) throws Exception {
        // Kafka's classes may log while they initialise; keep stdout for the JSON alone.
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        System.setOut(System.err);

        Map<String, Object> sources = new TreeMap<>();
        ConfigDef brokerDef = (ConfigDef) required(staticCall(BROKER_CONFIG_CLASS, "configDef"),
                                                   BROKER_CONFIG_CLASS + ".configDef()");
        String brokerSource = BROKER_CONFIG_CLASS + ".configDef()";
        Object abstractDef = staticField(ABSTRACT_KAFKA_CONFIG_CLASS, "CONFIG_DEF");
        if (abstractDef == brokerDef) {
            brokerSource += " = " + ABSTRACT_KAFKA_CONFIG_CLASS + ".CONFIG_DEF";
        }
        sources.put("broker", brokerSource);

        Map<String, String> updateModes = null;
        for (String cls : DYNAMIC_BROKER_CONFIG_CLASSES) {
            Object modes = staticCall(cls, "dynamicConfigUpdateModes");
            if (modes != null) {
                @SuppressWarnings("unchecked")
                Map<String, String> found = (Map<String, String>) modes;
                updateModes = found;
                sources.put("dynamic", cls + ".dynamicConfigUpdateModes()");
                break;
            }
        }

        @SuppressWarnings("unchecked")
        Map<String, ConfigDef.ConfigKey> topicKeys =
            (Map<String, ConfigDef.ConfigKey>) required(staticCall(LOG_CONFIG_CLASS, "configKeys"),
                                                        LOG_CONFIG_CLASS + ".configKeys()");
        sources.put("topic", LOG_CONFIG_CLASS + ".configKeys()");
        @SuppressWarnings("unchecked")
        Map<String, String> synonyms =
            (Map<String, String>) staticField(TOPIC_SYNONYMS_CLASS, "TOPIC_CONFIG_SYNONYMS");
        if (synonyms != null) {
            sources.put("topic_broker_synonyms", TOPIC_SYNONYMS_CLASS + ".TOPIC_CONFIG_SYNONYMS");
        }

        Map<String, Object> broker = new TreeMap<>();
        for (ConfigDef.ConfigKey key : brokerDef.configKeys().values()) {
            Map<String, Object> entry = describe(key);
            if (updateModes != null) {
                entry.put("dynamic", updateModes.getOrDefault(key.name, "read-only"));
            }
            broker.put(key.name, entry);
        }
        Map<String, Object> topic = new TreeMap<>();
        for (ConfigDef.ConfigKey key : topicKeys.values()) {
            Map<String, Object> entry = describe(key);
            if (synonyms != null) {
                entry.put("broker_synonym", synonyms.get(key.name));
            }
            topic.put(key.name, entry);
        }

        Map<String, Object> dump = new TreeMap<>();
        dump.put("kafka_version", AppInfoParser.getVersion());
        dump.put("sources", sources);
        dump.put("broker", broker);
        dump.put("topic", topic);
        StringBuilder json = new StringBuilder();
        write(json, dump, "");
        out.print(json.append('\n'));
        out.flush();
    }

    private static Map<String, Object> describe(ConfigDef.ConfigKey key) throws Exception {
        Map<String, Object> entry = new TreeMap<>();
        entry.put("type", key.type.name());
        entry.put("required", !key.hasDefault());
        entry.put("default", key.hasDefault() ? defaultText(key) : null);
        entry.put("internal", key.internalConfig);
        entry.put("validator", key.validator == null ? null : validator(key.validator));
        return entry;
    }

    private static String defaultText(ConfigDef.ConfigKey key) {
        if (key.defaultValue instanceof Password) {
            return ((Password) key.defaultValue).value();
        }
        return ConfigDef.convertToString(key.defaultValue, key.type);
    }

    private static Map<String, Object> validator(ConfigDef.Validator validator) throws Exception {
        Map<String, Object> data = new TreeMap<>();
        if (validator instanceof ConfigDef.Range) {
            data.put("kind", "range");
            data.put("min", field(validator, "min"));
            data.put("max", field(validator, "max"));
        } else if (validator instanceof ConfigDef.ValidString) {
            data.put("kind", "one-of");
            data.put("values", new ArrayList<>((List<?>) field(validator, "validStrings")));
        } else if (validator instanceof ConfigDef.CaseInsensitiveValidString) {
            data.put("kind", "one-of-case-insensitive");
            // A set of the upper-cased values, in hash order: sorted for a stable dump.
            List<String> values = new ArrayList<>();
            for (Object value : (Collection<?>) field(validator, "validStrings")) {
                values.add((String) value);
            }
            values.sort(null);
            data.put("values", values);
        } else if (validator instanceof ConfigDef.ValidList) {
            List<?> values = (List<?>) field(field(validator, "validString"), "validStrings");
            data.put("kind", "list-of");
            data.put("values", new ArrayList<>(values));
            // What the list check accepts changed between releases; ask the validator itself.
            String sample = values.isEmpty() ? "x" : (String) values.get(0);
            data.put("empty_allowed", accepts(validator, List.of()));
            data.put("duplicates_allowed", accepts(validator, List.of(sample, sample)));
            data.put("empty_items_allowed", accepts(validator, List.of("")));
        } else if (validator instanceof ConfigDef.NonEmptyString) {
            data.put("kind", "non-empty-string");
        } else if (validator instanceof ConfigDef.NonEmptyStringWithoutControlChars) {
            data.put("kind", "non-empty-string-without-control-chars");
        } else {
            data.put("kind", "other");
            Class<?> cls = validator.getClass();
            // Lambdas and other hidden classes get a different name on every run.
            data.put("class", cls.isSynthetic() || cls.isHidden() ? null : cls.getName());
            boolean describesItself = cls.getMethod("toString").getDeclaringClass() != Object.class;
            data.put("text", describesItself ? validator.toString() : null);
        }
        return data;
    }

    private static Object required(Object found, String what) {
        if (found == null) {
            throw new IllegalStateException(what + " is not in the jars on the class path");
        }
        return found;
    }

    private static boolean accepts(ConfigDef.Validator validator, Object value) {
        try {
            validator.ensureValid("probe", value);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static Object field(Object target, String name) throws Exception {
        Class<?> cls = target.getClass();
        while (cls != null) {
            try {
                Field field = cls.getDeclaredField(name);
                field.setAccessible(true);
                return field.get(target);
            } catch (NoSuchFieldException e) {
                cls = cls.getSuperclass();
            }
        }
        throw new NoSuchFieldException(target.getClass().getName() + "." + name);
    }

    private static Object staticField(String className, String name) throws Exception {
        try {
            return Class.forName(className).getField(name).get(null);
        } catch (ClassNotFoundException | NoSuchFieldException e) {
            return null;
        }
    }

    /** A static method, or a Scala object's method (on its MODULE$); null when neither exists. */
    private static Object staticCall(String className, String name) throws Exception {
        try {
            Method method = Class.forName(className).getMethod(name);
            if (java.lang.reflect.Modifier.isStatic(method.getModifiers())) {
                return method.invoke(null);
            }
        } catch (ClassNotFoundException | NoSuchMethodException e) {
            // try the Scala object below
        }
        try {
            Class<?> module = Class.forName(className + "$");
            return module.getMethod(name).invoke(module.getField("MODULE$").get(null));
        } catch (ClassNotFoundException | NoSuchMethodException | NoSuchFieldException e) {
            return null;
        }
    }

    // --- JSON, written by hand so the output never depends on a library's version ---

    private static void write(StringBuilder out, Object value, String indent) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof String) {
            string(out, (String) value);
        } else if (value instanceof Boolean) {
            out.append(value);
        } else if (value instanceof Double || value instanceof Float) {
            out.append(decimal(((Number) value).doubleValue()));
        } else if (value instanceof Number) {
            out.append(((Number) value).longValue());
        } else if (value instanceof Map) {
            Map<?, ?> map = (Map<?, ?>) value;
            if (map.isEmpty()) {
                out.append("{}");
                return;
            }
            String inner = indent + "  ";
            out.append("{\n");
            int i = 0;
            for (Map.Entry<?, ?> e : new TreeMap<>(map).entrySet()) {
                out.append(inner);
                string(out, (String) e.getKey());
                out.append(": ");
                write(out, e.getValue(), inner);
                out.append(++i < map.size() ? ",\n" : "\n");
            }
            out.append(indent).append('}');
        } else if (value instanceof List) {
            List<?> list = (List<?>) value;
            if (list.isEmpty()) {
                out.append("[]");
                return;
            }
            String inner = indent + "  ";
            out.append("[\n");
            for (int i = 0; i < list.size(); i++) {
                out.append(inner);
                write(out, list.get(i), inner);
                out.append(i + 1 < list.size() ? ",\n" : "\n");
            }
            out.append(indent).append(']');
        } else {
            throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON");
        }
    }

    /** A double as Python's json module writes it: 1.0, 0.5, 1e+16. */
    private static String decimal(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            throw new IllegalArgumentException("not a JSON number: " + d);
        }
        String plain = BigDecimal.valueOf(d).toPlainString();
        if (Math.abs(d) >= 1e16 || (d != 0 && Math.abs(d) < 1e-4)) {
            String s = Double.toString(d).replace("E", "e");
            return s.contains("e-") ? s : s.replace("e", "e+");
        }
        return plain.contains(".") ? plain : plain + ".0";
    }

    private static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"': out.append("\\\""); break;
                case '\\': out.append("\\\\"); break;
                case '\n': out.append("\\n"); break;
                case '\r': out.append("\\r"); break;
                case '\t': out.append("\\t"); break;
                case '\b': out.append("\\b"); break;
                case '\f': out.append("\\f"); break;
                default:
                    if (c < 0x20 || c > 0x7e) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
            }
        }
        out.append('"');
    }
}
