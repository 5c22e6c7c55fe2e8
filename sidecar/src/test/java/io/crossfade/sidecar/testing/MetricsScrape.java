package io.crossfade.sidecar.testing;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One scrape of {@code /metrics} (Prometheus text format 0.0.4), parsed into samples so tests can
 * ask for a series by name and labels.
 */
public final class MetricsScrape {

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})?\\s+(\\S+)(\\s+\\d+)?$");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** One sample: metric name, labels, value. */
    public record Sample(String name, Map<String, String> labels, double value) {
    }

    private final Map<String, java.util.List<Sample>> byName;
    private final String text;

    private MetricsScrape(String text, Map<String, java.util.List<Sample>> byName) {
        this.text = text;
        this.byName = byName;
    }

    /** Parses a scrape; fails on a line that is neither a comment nor a sample. */
    public static MetricsScrape parse(String text) {
        Map<String, java.util.List<Sample>> byName = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches()) {
                throw new IllegalArgumentException("not a Prometheus sample line: " + line);
            }
            Map<String, String> labels = new TreeMap<>();
            if (m.group(3) != null) {
                Matcher l = LABEL.matcher(m.group(3));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
            }
            double value = switch (m.group(4)) {
                case "+Inf" -> Double.POSITIVE_INFINITY;
                case "-Inf" -> Double.NEGATIVE_INFINITY;
                case "NaN" -> Double.NaN;
                default -> Double.parseDouble(m.group(4));
            };
            byName.computeIfAbsent(m.group(1), k -> new java.util.ArrayList<>())
                    .add(new Sample(m.group(1), Collections.unmodifiableMap(labels), value));
        }
        return new MetricsScrape(text, byName);
    }

    /** Every sample of {@code name}. */
    public java.util.List<Sample> samples(String name) {
        return byName.getOrDefault(name, java.util.List.of());
    }

    /** True when at least one sample of {@code name} exists. */
    public boolean has(String name) {
        return byName.containsKey(name);
    }

    /**
     * The value of the sample of {@code name} whose labels include {@code labelPairs}
     * ({@code "key", "db.pool.size", "variant", "new"}); empty when there is none.
     */
    public OptionalDouble value(String name, String... labelPairs) {
        for (Sample s : samples(name)) {
            boolean all = true;
            for (int i = 0; i < labelPairs.length; i += 2) {
                if (!labelPairs[i + 1].equals(s.labels().get(labelPairs[i]))) {
                    all = false;
                    break;
                }
            }
            if (all) {
                return OptionalDouble.of(s.value());
            }
        }
        return OptionalDouble.empty();
    }

    /** As {@link #value}, 0 when the series does not exist (a counter not yet created). */
    public double valueOrZero(String name, String... labelPairs) {
        return value(name, labelPairs).orElse(0);
    }

    /** The raw text. */
    public String text() {
        return text;
    }
}
