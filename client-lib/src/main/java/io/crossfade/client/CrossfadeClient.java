package io.crossfade.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.client.internal.OutcomeReporter;
import io.crossfade.client.internal.SnapshotFollower;
import io.crossfade.client.internal.TypedValues.Conversion;
import io.crossfade.client.internal.TypedValues;
import io.crossfade.config.DaemonThreads;
import io.crossfade.config.Resolution;
import io.crossfade.config.SnapshotDocument;
import io.crossfade.config.WireLimits;
import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Reads settings from the Crossfade sidecar in-process: typed getters that cost a memory lookup, not an
 * HTTP round trip, and that put every unit on the same side of a migration as the sidecar would
 * (the same bucketing code, evaluated locally on the sidecar's latest snapshot).
 *
 * <pre>{@code
 * try (CrossfadeClient settings = CrossfadeClient.builder().endpoint(URI.create("http://127.0.0.1:7070")).build()) {
 *     int pool = settings.getInt("db.pool.size", 10, userId);
 *     ...
 *     settings.recordOutcome("db.pool.size", userId, requestSucceeded);
 * }
 * }</pre>
 *
 * <p><b>Contract.</b> Getters never block on the network and never throw: before the first snapshot
 * has arrived (the sidecar is down, or still being reached) they return the default given, and so
 * they do for an unknown key or a value of another type; {@link #details} says which. Once a
 * snapshot is loaded it keeps serving while the sidecar is away, and a newer one replaces it
 * atomically as soon as the sidecar announces it on {@code /v1/watch} (within milliseconds). When
 * the stream is down the client polls {@code /v1/snapshot} with a bounded, jittered backoff.
 *
 * <p><b>Units.</b> A getter without a unit, or with a null or empty one, uses the builder's
 * {@linkplain Builder#defaultUnit default unit}, else the sidecar's instance id, exactly as a read over
 * HTTP without a unit does.
 *
 * <p><b>Threads and cost.</b> Thread-safe. A getter is a volatile read, the bucketing hash when the
 * setting has a migration, and a near-cache lookup of the converted value (converted once per
 * snapshot). Objects returned by {@link #get(String, Class, Object)} and JSON values are shared between
 * callers: treat them as immutable. The client runs two daemon threads and the HTTP client's; close it
 * to stop them and to send the last outcomes.
 */
public final class CrossfadeClient implements AutoCloseable {

    /** The sidecar's default read address. */
    public static final URI DEFAULT_ENDPOINT = URI.create("http://127.0.0.1:7070");

    private final URI endpoint;
    private final String defaultUnit;
    private final ExecutorService httpThreads;
    private final ScheduledExecutorService scheduler;
    private final TypedValues values;
    private final SnapshotFollower follower;
    private final OutcomeReporter outcomes;

    private CrossfadeClient(Builder b) {
        this.endpoint = b.endpoint;
        this.defaultUnit = b.defaultUnit;
        this.httpThreads = Executors.newCachedThreadPool(DaemonThreads.factory("crossfade-client-http"));
        ScheduledThreadPoolExecutor single = new ScheduledThreadPoolExecutor(1, DaemonThreads.factory("crossfade-client"));
        // on close, pending retries and periodic checks are dropped, not waited for
        single.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        single.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        single.setRemoveOnCancelPolicy(true);
        this.scheduler = single;
        HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(b.connectTimeout)
                .executor(httpThreads)
                .build();
        this.values = new TypedValues(b.cacheSize);
        this.follower = new SnapshotFollower(http, endpoint, b.requestTimeout, scheduler, b.initialBackoff,
                b.maxBackoff, SnapshotFollower.SILENCE_LIMIT, next -> values.invalidateAll());
        this.outcomes = new OutcomeReporter(http, endpoint, b.requestTimeout, b.outcomeQueueCapacity,
                WireLimits.MAX_OUTCOMES_PER_REQUEST, b.outcomeAttempts, b.outcomeInterval, () -> {
                    SnapshotDocument doc = follower.current();
                    return doc == null ? null : doc.instanceId();
                });
        follower.start();
    }

    /** A builder with the defaults: {@link #DEFAULT_ENDPOINT}, 1 s connect and 2 s request timeouts. */
    public static Builder builder() {
        return new Builder();
    }

    // ---- typed getters: (key, default[, unit]), as in OpenFeature

    /** {@link #getInt(String, int, String)} with the default unit. */
    public int getInt(String key, int defaultValue) {
        return value(key, Integer.class, defaultValue, null);
    }

    /**
     * The setting as an int: a JSON number without a fractional part that fits; otherwise, or when the
     * setting is unknown or no snapshot is loaded yet, {@code defaultValue}. Never blocks, never throws.
     *
     * @param unit who is asking (user, tenant, request id); null or empty for the default unit
     */
    public int getInt(String key, int defaultValue, String unit) {
        return value(key, Integer.class, defaultValue, unit);
    }

    /** {@link #getLong(String, long, String)} with the default unit. */
    public long getLong(String key, long defaultValue) {
        return value(key, Long.class, defaultValue, null);
    }

    /** The setting as a long (a whole JSON number that fits), else {@code defaultValue}; as {@link #getInt}. */
    public long getLong(String key, long defaultValue, String unit) {
        return value(key, Long.class, defaultValue, unit);
    }

    /** {@link #getDouble(String, double, String)} with the default unit. */
    public double getDouble(String key, double defaultValue) {
        return value(key, Double.class, defaultValue, null);
    }

    /** The setting as a double (any JSON number), else {@code defaultValue}; as {@link #getInt}. */
    public double getDouble(String key, double defaultValue, String unit) {
        return value(key, Double.class, defaultValue, unit);
    }

    /** {@link #getBoolean(String, boolean, String)} with the default unit. */
    public boolean getBoolean(String key, boolean defaultValue) {
        return value(key, Boolean.class, defaultValue, null);
    }

    /** The setting as a boolean (JSON {@code true}/{@code false} only), else {@code defaultValue}; as {@link #getInt}. */
    public boolean getBoolean(String key, boolean defaultValue, String unit) {
        return value(key, Boolean.class, defaultValue, unit);
    }

    /** {@link #getString(String, String, String)} with the default unit. */
    public String getString(String key, String defaultValue) {
        return value(key, String.class, defaultValue, null);
    }

    /** The setting as a String (a JSON string only, not a number), else {@code defaultValue}; as {@link #getInt}. */
    public String getString(String key, String defaultValue, String unit) {
        return value(key, String.class, defaultValue, unit);
    }

    /** {@link #get(String, Class, Object, String)} with the default unit. */
    public <T> T get(String key, Class<T> type, T defaultValue) {
        return value(key, type, defaultValue, null);
    }

    /**
     * The setting bound to {@code type} by Jackson (a record, a bean, {@code Map}, {@code List},
     * {@link JsonNode}; boxed primitives and {@code String} follow the typed getters' strict rules),
     * else {@code defaultValue}. The object is made once per snapshot and shared: treat it as
     * immutable. Never blocks, never throws.
     */
    public <T> T get(String key, Class<T> type, T defaultValue, String unit) {
        return value(key, type, defaultValue, unit);
    }

    // ---- details

    /** {@link #details(String, String)} with the default unit. */
    public Details<JsonNode> details(String key) {
        return details(key, JsonNode.class, null, null);
    }

    /** The setting's JSON value (null when there is none) with its variant, version and any error. */
    public Details<JsonNode> details(String key, String unit) {
        return details(key, JsonNode.class, null, unit);
    }

    /**
     * The setting as {@code type}, as {@link #get(String, Class, Object, String)} would return it, with the
     * variant the unit got, the snapshot version, and whether (and why) the value is {@code defaultValue}.
     * Never blocks, never throws.
     */
    public <T> Details<T> details(String key, Class<T> type, T defaultValue, String unit) {
        SnapshotDocument doc = follower.current();
        if (doc == null) {
            return Details.fallback(key, defaultValue, 0, ErrorCode.NOT_READY,
                    "no settings loaded yet from " + endpoint + " (" + follower.lastProblem() + ")");
        }
        long version = doc.snapshot().version();
        try {
            if (key == null) {
                return Details.fallback(null, defaultValue, version, ErrorCode.SETTING_NOT_FOUND, "the key is null");
            }
            if (type == null) {
                return Details.fallback(key, defaultValue, version, ErrorCode.TYPE_MISMATCH, "the type is null");
            }
            Resolution r = doc.snapshot().resolve(key, unitOr(unit, doc));
            if (r == null) {
                return Details.fallback(key, defaultValue, version, ErrorCode.SETTING_NOT_FOUND,
                        "no setting named " + key + " in snapshot " + version);
            }
            Conversion c = values.get(version, r, TypedValues.boxed(type));
            if (!c.ok()) {
                return Details.fallback(key, defaultValue, version, ErrorCode.TYPE_MISMATCH, key + ": " + c.mismatch());
            }
            @SuppressWarnings("unchecked")
            T value = (T) c.value();
            return new Details<>(key, value, r.variant(), version, false, ErrorCode.NONE, null);
        } catch (RuntimeException e) {
            return Details.fallback(key, defaultValue, version, ErrorCode.GENERAL, String.valueOf(e));
        }
    }

    /** The hot path of every getter: no allocation beyond the lookup key, no Details. */
    private <T> T value(String key, Class<T> type, T defaultValue, String unit) {
        SnapshotDocument doc = follower.current();
        if (doc == null || key == null || type == null) {
            return defaultValue;
        }
        try {
            Resolution r = doc.snapshot().resolve(key, unitOr(unit, doc));
            if (r == null) {
                return defaultValue;
            }
            Conversion c = values.get(doc.snapshot().version(), r, TypedValues.boxed(type));
            @SuppressWarnings("unchecked")
            T value = c.ok() ? (T) c.value() : defaultValue;
            return value;
        } catch (RuntimeException e) {
            return defaultValue;
        }
    }

    private String unitOr(String unit, SnapshotDocument doc) {
        if (unit != null && !unit.isEmpty()) {
            return unit;
        }
        return defaultUnit != null ? defaultUnit : doc.instanceId();
    }

    // ---- outcomes

    /**
     * Records whether the work done with {@code key}'s value for {@code unit} went well, for the guard
     * that halts a migration whose new value fails. Never blocks and never throws: the outcome is queued
     * in memory and sent in batches (at most 1000 per request) at least once a second and on
     * {@link #close()}. Returns false, and counts a drop, when the bounded queue is full, the client is
     * closed, or the key or unit could never be accepted (see {@link #outcomes()}).
     *
     * @param unit the unit the value was read for; null or empty for the default unit (else the sidecar's
     *     instance id, as for reads; such outcomes count as failed if the sidecar was never reached)
     */
    public boolean recordOutcome(String key, String unit, boolean ok) {
        String u = unit != null && !unit.isEmpty() ? unit : defaultUnit;
        return outcomes.record(key, u, ok);
    }

    /** How many outcomes were recorded, sent, dropped and failed so far, and how many wait. */
    public OutcomeCounts outcomes() {
        return outcomes.counts();
    }

    // ---- lifecycle

    /**
     * Blocks the calling thread until the first snapshot is loaded, at most {@code timeout}: for services
     * that would rather wait a moment at start-up than serve defaults. Returns false on timeout or
     * interruption (the interrupt flag is kept).
     */
    public boolean awaitReady(Duration timeout) {
        try {
            return follower.awaitReady(timeout);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** True once a snapshot is loaded (and for ever after: it keeps serving while the sidecar is away). */
    public boolean isReady() {
        return follower.current() != null;
    }

    /** True while the client follows the sidecar's change stream; false while it polls or the sidecar is away. */
    public boolean isConnected() {
        return follower.streaming();
    }

    /** The version of the snapshot being served, 0 before the first one. */
    public long snapshotVersion() {
        SnapshotDocument doc = follower.current();
        return doc == null ? 0 : doc.snapshot().version();
    }

    /** The sidecar this client reads from. */
    public URI endpoint() {
        return endpoint;
    }

    /**
     * Stops following the sidecar, sends the queued outcomes (waiting at most about twice the request
     * timeout) and stops the client's threads. Getters keep answering from the last snapshot; outcomes
     * recorded afterwards are dropped. Idempotent.
     */
    @Override
    public void close() {
        follower.close();
        scheduler.shutdown(); // runs the follower's close (which cancels the stream) before stopping
        outcomes.close();
        try {
            if (!scheduler.awaitTermination(1, TimeUnit.SECONDS)) {
                scheduler.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            scheduler.shutdownNow();
        }
        httpThreads.shutdown();
    }

    /**
     * Options of a {@link CrossfadeClient}. Every option has a default; {@link #build()} fails fast, with
     * an {@link IllegalArgumentException} naming the option, on a value that cannot work. Not thread-safe.
     */
    public static final class Builder {
        private URI endpoint = DEFAULT_ENDPOINT;
        private Duration connectTimeout = Duration.ofSeconds(1);
        private Duration requestTimeout = Duration.ofSeconds(2);
        private String defaultUnit;
        private int outcomeQueueCapacity = 10_000;
        private long cacheSize = 10_000;
        private final Duration initialBackoff = Duration.ofMillis(50);
        private final Duration maxBackoff = Duration.ofSeconds(2);
        private final int outcomeAttempts = 3;
        private final Duration outcomeInterval = Duration.ofSeconds(1);

        private Builder() {
        }

        /** The sidecar's read listener, {@code http://HOST:PORT}; default {@code http://127.0.0.1:7070}. */
        public Builder endpoint(URI endpoint) {
            this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
            return this;
        }

        /** How long to wait for a TCP connection to the sidecar; default 1 s. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = Objects.requireNonNull(timeout, "connectTimeout");
            return this;
        }

        /** How long one snapshot or outcomes request may take; default 2 s. Never felt by getters. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = Objects.requireNonNull(timeout, "requestTimeout");
            return this;
        }

        /**
         * The unit of reads and outcomes that name none; default: none, so the sidecar's instance id is
         * used and a whole instance flips at once, as over HTTP.
         */
        public Builder defaultUnit(String unit) {
            this.defaultUnit = unit;
            return this;
        }

        /** Bound on outcomes waiting to be sent; when full, new ones are dropped and counted. Default 10 000. */
        public Builder outcomeQueueCapacity(int capacity) {
            this.outcomeQueueCapacity = capacity;
            return this;
        }

        /** Bound on converted values kept in the near-cache; default 10 000. */
        public Builder cacheSize(long entries) {
            this.cacheSize = entries;
            return this;
        }

        /**
         * Validates the options and starts a client. Returns at once: the first snapshot loads in the
         * background (see {@link CrossfadeClient#awaitReady}).
         *
         * @throws IllegalArgumentException naming the option that cannot work
         */
        public CrossfadeClient build() {
            String scheme = endpoint.getScheme();
            if (!endpoint.isAbsolute() || endpoint.getHost() == null
                    || !("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme))) {
                throw new IllegalArgumentException("endpoint must be an http:// or https:// address with a host, got "
                        + endpoint);
            }
            if (endpoint.getRawPath() != null && !endpoint.getRawPath().isEmpty() && !endpoint.getRawPath().equals("/")) {
                throw new IllegalArgumentException("endpoint must be the listener's root (the client adds /v1/...), got "
                        + endpoint);
            }
            positive(connectTimeout, "connectTimeout");
            positive(requestTimeout, "requestTimeout");
            if (defaultUnit != null && (defaultUnit.isEmpty() || WireLimits.unitTooLong(defaultUnit))) {
                throw new IllegalArgumentException("defaultUnit must be 1 to " + WireLimits.MAX_UNIT_BYTES
                        + " bytes, got " + defaultUnit.length() + " characters");
            }
            if (outcomeQueueCapacity < 1) {
                throw new IllegalArgumentException("outcomeQueueCapacity must be at least 1, got " + outcomeQueueCapacity);
            }
            if (cacheSize < 1) {
                throw new IllegalArgumentException("cacheSize must be at least 1, got " + cacheSize);
            }
            return new CrossfadeClient(this);
        }

        private static void positive(Duration d, String name) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(name + " must be positive, got " + d);
            }
        }
    }
}
