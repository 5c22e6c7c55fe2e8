package io.crossfade.sidecar.http;

import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;

/**
 * A route table: which handler answers which method on which path. The first route whose path and
 * method match answers; when some route's path matches but none takes the method, the table answers
 * 405 with an {@code Allow} header naming the methods those paths take. A table that matches
 * nothing leaves the request alone ({@link #handle} returns false), so tables nest: a capability can
 * put its own table behind a check (the admin API's token) and answer its own 404.
 *
 * <p>Path patterns are literal segments, {@code {name}} for one segment (which may be empty, so the
 * handler can explain why it is not a valid key) and a trailing {@code *} for the rest of the path,
 * slashes included, possibly empty. Matching allocates nothing for routes that do not match. Build
 * the table once, before the listener starts; then it is read-only and safe on every event loop.
 */
public final class Routes implements Endpoints {

    /** GET, and HEAD answered like it: what read-only routes take. */
    public static final Set<HttpMethod> READ = Set.of(HttpMethod.GET, HttpMethod.HEAD);
    /** Any method at all: for a route that checks something before its own table decides. */
    public static final Set<HttpMethod> ANY = Set.of();

    /** Answers one matched request; called on the event loop, must not block. */
    @FunctionalInterface
    public interface Handler {
        void handle(HttpServerRequest request, PathParams params);
    }

    /** The values a request's path gave to a route's {@code {name}} and {@code *} parts. */
    public static final class PathParams {
        static final PathParams NONE = new PathParams(new String[0], new String[0]);

        private final String[] names;
        private final String[] values;

        PathParams(String[] names, String[] values) {
            this.names = names;
            this.values = values;
        }

        /** The value of {@code {name}}, or of the trailing {@code *} for {@code "*"}; null when the route has none. */
        public String get(String name) {
            for (int i = 0; i < names.length; i++) {
                if (names[i].equals(name)) {
                    return values[i];
                }
            }
            return null;
        }
    }

    private final List<Route> routes = new ArrayList<>();

    /** Adds a route answering GET and HEAD on {@code pattern}. */
    public Routes get(String pattern, Handler handler) {
        return add(READ, pattern, handler);
    }

    /** Adds a route answering POST on {@code pattern}. */
    public Routes post(String pattern, Handler handler) {
        return add(Set.of(HttpMethod.POST), pattern, handler);
    }

    /**
     * Adds a route answering {@code methods} ({@link #ANY} for all) on {@code pattern}. Routes are
     * tried in the order they were added.
     */
    public Routes add(Set<HttpMethod> methods, String pattern, Handler handler) {
        routes.add(new Route(Set.copyOf(methods), allowHeader(methods), Pattern.parse(pattern), handler));
        return this;
    }

    /** Adds every route of {@code endpoints}. */
    public Routes add(Endpoints endpoints) {
        endpoints.addRoutes(this);
        return this;
    }

    @Override
    public void addRoutes(Routes table) {
        table.routes.addAll(routes);
    }

    /**
     * Answers {@code request} when a route's path matches it.
     *
     * @return false when no route's path matches: the request is still unanswered
     */
    public boolean handle(HttpServerRequest request) {
        String path = request.path();
        HttpMethod method = request.method();
        Set<HttpMethod> allowed = null;
        for (Route route : routes) {
            if (!route.pattern.matches(path)) {
                continue;
            }
            if (route.methods.isEmpty() || route.methods.contains(method)) {
                route.handler.handle(request, route.pattern.params(path));
                return true;
            }
            if (allowed == null) {
                allowed = new LinkedHashSet<>();
            }
            allowed.addAll(route.allowOrder);
        }
        if (allowed == null) {
            return false;
        }
        StringJoiner allow = new StringJoiner(", ");
        allowed.forEach(m -> allow.add(m.name()));
        HttpResponses.methodNotAllowed(request, allow.toString());
        return true;
    }

    private static List<HttpMethod> allowHeader(Set<HttpMethod> methods) {
        // a stable order for the Allow header: GET first, HEAD after it, then the rest by name
        List<HttpMethod> order = new ArrayList<>(methods);
        order.sort((a, b) -> Integer.compare(rank(a), rank(b)) != 0 ? Integer.compare(rank(a), rank(b))
                : a.name().compareTo(b.name()));
        return order;
    }

    private static int rank(HttpMethod m) {
        return m == HttpMethod.GET ? 0 : m == HttpMethod.HEAD ? 1 : 2;
    }

    private record Route(Set<HttpMethod> methods, List<HttpMethod> allowOrder, Pattern pattern, Handler handler) {
    }

    /** A parsed path pattern: literal text between {@code {name}} parts, maybe a trailing {@code *}. */
    private static final class Pattern {
        private final String[] literals; // literal text before each param, and after the last one
        private final String[] names;    // one per param; "*" for the trailing rest
        private final boolean rest;

        private Pattern(String[] literals, String[] names, boolean rest) {
            this.literals = literals;
            this.names = names;
            this.rest = rest;
        }

        static Pattern parse(String pattern) {
            if (!pattern.startsWith("/")) {
                throw new IllegalArgumentException("a route pattern starts with '/', got " + pattern);
            }
            List<String> literals = new ArrayList<>();
            List<String> names = new ArrayList<>();
            boolean rest = false;
            StringBuilder literal = new StringBuilder();
            String[] segments = pattern.substring(1).split("/", -1);
            for (int i = 0; i < segments.length; i++) {
                String s = segments[i];
                literal.append('/');
                if (s.equals("*") && i == segments.length - 1) {
                    literals.add(literal.toString());
                    literal.setLength(0);
                    names.add("*");
                    rest = true;
                } else if (s.startsWith("{") && s.endsWith("}") && s.length() > 2) {
                    literals.add(literal.toString());
                    literal.setLength(0);
                    names.add(s.substring(1, s.length() - 1));
                } else if (s.contains("{") || s.contains("}") || s.contains("*")) {
                    throw new IllegalArgumentException("a route segment is literal, {name} or a trailing *, got '"
                            + s + "' in " + pattern);
                } else {
                    literal.append(s);
                }
            }
            literals.add(literal.toString());
            return new Pattern(literals.toArray(String[]::new), names.toArray(String[]::new), rest);
        }

        boolean matches(String path) {
            return end(path) >= 0;
        }

        /** Walks the path; the index after the match when it matches whole, else -1. */
        private int end(String path) {
            int at = 0;
            for (int i = 0; i < names.length; i++) {
                String literal = literals[i];
                if (!path.startsWith(literal, at)) {
                    return -1;
                }
                at += literal.length();
                if (rest && i == names.length - 1) {
                    return path.length();
                }
                int slash = path.indexOf('/', at);
                at = slash < 0 ? path.length() : slash;
            }
            String last = literals[literals.length - 1];
            return path.length() - at == last.length() && path.startsWith(last, at) ? path.length() : -1;
        }

        PathParams params(String path) {
            if (names.length == 0) {
                return PathParams.NONE;
            }
            String[] values = new String[names.length];
            int at = 0;
            for (int i = 0; i < names.length; i++) {
                at += literals[i].length();
                if (rest && i == names.length - 1) {
                    values[i] = path.substring(at);
                    break;
                }
                int slash = path.indexOf('/', at);
                int end = slash < 0 ? path.length() : slash;
                values[i] = path.substring(at, end);
                at = end;
            }
            return new PathParams(names, values);
        }
    }
}
