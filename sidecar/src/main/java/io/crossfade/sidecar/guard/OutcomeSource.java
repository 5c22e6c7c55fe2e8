package io.crossfade.sidecar.guard;

/** Where outcomes came from: the {@code source} label of the outcome counters. */
public enum OutcomeSource {
    /** Reported by a service through {@code POST /v1/outcomes} (or the client library). */
    API,
    /** Derived by the proxy from the responses it forwarded. */
    PROXY;

    private final String wireName = name().toLowerCase(java.util.Locale.ROOT);

    /** The metric label value, {@code api} or {@code proxy}. */
    public String wireName() {
        return wireName;
    }
}
