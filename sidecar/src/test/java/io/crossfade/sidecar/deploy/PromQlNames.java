package io.crossfade.sidecar.deploy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The metric names and label names a PromQL expression uses, for the tests that hold the alert rules
 * and the dashboard to what the sidecar exports. Not a PromQL parser: it reads selectors
 * ({@code name{label="value",...}}), grouping and matching lists ({@code by}, {@code without},
 * {@code on}, {@code ignoring}, {@code group_left}, {@code group_right}), skips function names,
 * keywords, numbers, strings, range and offset durations and Grafana variables ({@code $job},
 * {@code ${key}}, {@code $__rate_interval}). Enough for the expressions in {@code deploy/}; an
 * expression it cannot read makes it throw, naming the expression.
 */
final class PromQlNames {

    /** One label matcher: {@code op} is {@code =}, {@code !=}, {@code =~} or {@code !~}. */
    record Matcher(String op, String value) {
    }

    /** A metric selector: its name and its label matchers by label name. */
    record Selector(String metric, Map<String, Matcher> matchers) {
    }

    /**
     * What one expression names.
     *
     * @param selectors every metric selected
     * @param groupingLabels every label named in a {@code by}/{@code without}/{@code on}/{@code ignoring}/
     *     {@code group_left}/{@code group_right} list
     */
    record Names(List<Selector> selectors, Set<String> groupingLabels) {
    }

    private static final Set<String> KEYWORDS = Set.of("and", "or", "unless", "bool", "offset", "atan2", "inf", "nan",
            "Inf", "NaN");
    /** Aggregations may take their {@code by}/{@code without} list before their arguments. */
    private static final Set<String> AGGREGATIONS = Set.of("sum", "min", "max", "avg", "group", "stddev", "stdvar",
            "count", "count_values", "bottomk", "topk", "quantile");
    private static final Set<String> LISTS = Set.of("by", "without", "on", "ignoring", "group_left", "group_right");

    private final String expr;
    private int i;

    private PromQlNames(String expr) {
        this.expr = expr;
    }

    /** The names in {@code expr}. */
    static Names of(String expr) {
        return new PromQlNames(expr).read();
    }

    private Names read() {
        List<Selector> selectors = new ArrayList<>();
        Set<String> grouping = new LinkedHashSet<>();
        while (i < expr.length()) {
            char c = expr.charAt(i);
            if (c == '"' || c == '\'' || c == '`') {
                string();
            } else if (c == '[') {
                skipTo(']');
            } else if (c == '$') {
                i++;
                if (i < expr.length() && expr.charAt(i) == '{') {
                    skipTo('}');
                } else {
                    identifier();
                }
            } else if (Character.isDigit(c) || c == '.' && i + 1 < expr.length() && Character.isDigit(expr.charAt(i + 1))) {
                while (i < expr.length() && (Character.isLetterOrDigit(expr.charAt(i)) || expr.charAt(i) == '.')) {
                    i++; // numbers and durations (5m, 1e3, 0.99)
                }
            } else if (Character.isLetter(c) || c == '_' || c == ':') {
                String name = identifier();
                int after = i;
                skipSpaces();
                boolean call = i < expr.length() && expr.charAt(i) == '(';
                if (LISTS.contains(name)) {
                    if (call) {
                        grouping.addAll(labelList());
                    }
                } else if (KEYWORDS.contains(name) || AGGREGATIONS.contains(name)) {
                    // offset's duration is skipped as a number next; an aggregation's list and arguments are read next
                    i = after;
                } else if (call) {
                    i = after; // a function or an aggregation: its arguments are read next
                } else if (i < expr.length() && expr.charAt(i) == '{') {
                    selectors.add(new Selector(name, matchers()));
                } else {
                    i = after;
                    selectors.add(new Selector(name, Map.of()));
                }
            } else if (c == '{') {
                throw new IllegalArgumentException("a selector without a metric name in: " + expr);
            } else {
                i++;
            }
        }
        return new Names(selectors, grouping);
    }

    private String identifier() {
        int start = i;
        while (i < expr.length() && (Character.isLetterOrDigit(expr.charAt(i)) || expr.charAt(i) == '_'
                || expr.charAt(i) == ':')) {
            i++;
        }
        return expr.substring(start, i);
    }

    private void skipSpaces() {
        while (i < expr.length() && Character.isWhitespace(expr.charAt(i))) {
            i++;
        }
    }

    private void skipTo(char end) {
        int close = expr.indexOf(end, i);
        if (close < 0) {
            throw new IllegalArgumentException("no closing " + end + " after position " + i + " in: " + expr);
        }
        i = close + 1;
    }

    private String string() {
        char quote = expr.charAt(i++);
        StringBuilder value = new StringBuilder();
        while (i < expr.length() && expr.charAt(i) != quote) {
            if (expr.charAt(i) == '\\' && i + 1 < expr.length()) {
                i++;
            }
            value.append(expr.charAt(i++));
        }
        if (i >= expr.length()) {
            throw new IllegalArgumentException("an unterminated string in: " + expr);
        }
        i++;
        return value.toString();
    }

    private List<String> labelList() {
        i++; // (
        List<String> labels = new ArrayList<>();
        while (true) {
            skipSpaces();
            if (i >= expr.length()) {
                throw new IllegalArgumentException("an unterminated label list in: " + expr);
            }
            char c = expr.charAt(i);
            if (c == ')') {
                i++;
                return labels;
            }
            if (c == ',') {
                i++;
                continue;
            }
            String label = identifier();
            if (label.isEmpty()) {
                throw new IllegalArgumentException("unexpected '" + c + "' in a label list in: " + expr);
            }
            labels.add(label);
        }
    }

    private Map<String, Matcher> matchers() {
        i++; // {
        Map<String, Matcher> matchers = new LinkedHashMap<>();
        while (true) {
            skipSpaces();
            if (i >= expr.length()) {
                throw new IllegalArgumentException("an unterminated selector in: " + expr);
            }
            char c = expr.charAt(i);
            if (c == '}') {
                i++;
                return matchers;
            }
            if (c == ',') {
                i++;
                continue;
            }
            String label = identifier();
            skipSpaces();
            int opStart = i;
            while (i < expr.length() && "=!~".indexOf(expr.charAt(i)) >= 0) {
                i++;
            }
            String op = expr.substring(opStart, i);
            skipSpaces();
            if (label.isEmpty() || !Set.of("=", "!=", "=~", "!~").contains(op) || i >= expr.length()
                    || "\"'`".indexOf(expr.charAt(i)) < 0) {
                throw new IllegalArgumentException("cannot read the label matcher at position " + opStart + " in: " + expr);
            }
            matchers.put(label, new Matcher(op, string()));
        }
    }
}
