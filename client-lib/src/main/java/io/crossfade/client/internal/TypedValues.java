package io.crossfade.client.internal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.crossfade.config.InputText;
import io.crossfade.config.Resolution;
import io.crossfade.config.Variant;
import java.math.BigDecimal;
import java.util.Map;

/**
 * Converts setting values (JSON) to the Java types callers ask for, and keeps each conversion in a
 * Caffeine near-cache keyed by (snapshot version, key, variant, type), so a getter converts a value
 * once per snapshot instead of on every call. Thread-safe; lookups never block on I/O.
 *
 * <p>The rules are strict, as in OpenFeature: {@code Integer}/{@code Long} take a JSON number without
 * a fractional part that fits; {@code Double} any JSON number; {@code Boolean} only {@code true} or
 * {@code false}; {@code String} only a JSON string; {@link JsonNode} the value itself; any other type
 * is bound by Jackson (records, beans, {@code Map}, {@code List}), ignoring unknown fields.
 * Anything else is a mismatch, remembered like a success so it is not retried on every call.
 */
public final class TypedValues {

    /** A conversion's result: the value, or why there is none. */
    public record Conversion(Object value, String mismatch) {
        /** True when {@link #value()} holds the converted value. */
        public boolean ok() {
            return mismatch == null;
        }
    }

    private record Key(long version, String key, Variant variant, Class<?> type) {
    }

    private static final Map<Class<?>, Class<?>> BOXES = Map.of(int.class, Integer.class, long.class, Long.class,
            double.class, Double.class, boolean.class, Boolean.class);

    /** The client's mapper: exact decimals, tolerant of fields a newer sidecar or settings file adds. */
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final Cache<Key, Conversion> cache;

    /** @param maximumSize bound on conversions kept */
    public TypedValues(long maximumSize) {
        this.cache = Caffeine.newBuilder().maximumSize(maximumSize).build();
    }

    /** The wrapper class of a primitive type, else {@code type} itself. */
    public static <T> Class<T> boxed(Class<T> type) {
        @SuppressWarnings("unchecked")
        Class<T> box = type.isPrimitive() ? (Class<T>) BOXES.getOrDefault(type, type) : type;
        return box;
    }

    /**
     * The value of {@code resolution} as {@code type} (a boxed type: see {@link #boxed}), converted on
     * first use in snapshot {@code version}.
     */
    public Conversion get(long version, Resolution resolution, Class<?> type) {
        Key key = new Key(version, resolution.key(), resolution.variant(), type);
        Conversion hit = cache.getIfPresent(key);
        // the hit path allocates no mapping function
        return hit != null ? hit : cache.get(key, k -> convert(resolution.value(), type));
    }

    /** Drops every cached conversion (after a new snapshot, old entries are dead weight). */
    public void invalidateAll() {
        cache.invalidateAll();
    }

    /** Converts without caching; see the class comment for the rules. */
    public static Conversion convert(JsonNode node, Class<?> type) {
        if (type == Integer.class) {
            BigDecimal whole = wholeNumber(node);
            if (whole != null && whole.compareTo(BigDecimal.valueOf(Integer.MIN_VALUE)) >= 0
                    && whole.compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) <= 0) {
                return new Conversion(whole.intValueExact(), null);
            }
            return mismatch(node, "a whole number that fits an int");
        }
        if (type == Long.class) {
            BigDecimal whole = wholeNumber(node);
            if (whole != null && whole.compareTo(BigDecimal.valueOf(Long.MIN_VALUE)) >= 0
                    && whole.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) <= 0) {
                return new Conversion(whole.longValueExact(), null);
            }
            return mismatch(node, "a whole number that fits a long");
        }
        if (type == Double.class) {
            return node.isNumber() ? new Conversion(node.doubleValue(), null) : mismatch(node, "a number");
        }
        if (type == Boolean.class) {
            return node.isBoolean() ? new Conversion(node.booleanValue(), null) : mismatch(node, "true or false");
        }
        if (type == String.class) {
            return node.isTextual() ? new Conversion(node.textValue(), null) : mismatch(node, "a string");
        }
        if (type == JsonNode.class) {
            return new Conversion(node, null);
        }
        try {
            Object value = MAPPER.treeToValue(node, type);
            return value == null ? mismatch(node, "a " + type.getSimpleName()) : new Conversion(value, null);
        } catch (Exception e) {
            return new Conversion(null, "cannot read " + kind(node) + " as " + type.getName() + ": "
                    + firstLine(e.getMessage()));
        }
    }

    private static BigDecimal wholeNumber(JsonNode node) {
        if (node.isIntegralNumber()) {
            return new BigDecimal(node.bigIntegerValue());
        }
        if (node.isNumber() && Double.isFinite(node.doubleValue())) {
            BigDecimal d = node.decimalValue();
            return d.signum() == 0 || d.stripTrailingZeros().scale() <= 0 ? d : null;
        }
        return null;
    }

    private static Conversion mismatch(JsonNode node, String expected) {
        return new Conversion(null, "expected " + expected + ", found " + kind(node));
    }

    private static String kind(JsonNode node) {
        return InputText.describe(node, InputText.Style.JSON_VALUE);
    }

    private static String firstLine(String message) {
        if (message == null) {
            return "no details";
        }
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
