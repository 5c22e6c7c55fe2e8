package io.crossfade.sidecar.fleet;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crossfade.sidecar.json.Json;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.parsetools.RecordParser;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small client of etcd's v3 JSON gateway ({@code /v3/kv/range}, {@code /v3/kv/txn},
 * {@code /v3/watch}, {@code /v3/lease/*}) over Vert.x's HTTP client: keys and values are base64,
 * 64-bit numbers are JSON strings. It speaks to one endpoint at a time and moves to the next when a
 * connection cannot be made; a request that may have reached etcd is never sent twice. Every call
 * but a watch fails within {@link FleetOptions#timeout()}.
 *
 * <p>Thread-safety: all methods may be called from any thread; results complete on this client's
 * own event loop, never on the read path's.
 */
public final class EtcdGateway implements AutoCloseable {

    /** One key-value pair as etcd returns it. */
    public record Kv(String key, byte[] value, long createRevision, long modRevision, long lease) {

        public String text() {
            return new String(value, StandardCharsets.UTF_8);
        }
    }

    /**
     * The answer of a range read: the store's revision when it was read, the pairs, and the etcd
     * cluster's id (a recreated or restored cluster has a new one).
     */
    public record Range(long revision, List<Kv> kvs, String clusterId) {
    }

    /** The answer of a transaction: whether its comparisons held, the revision after it, its responses. */
    public record TxnResult(boolean succeeded, long revision, JsonNode responses) {
    }

    /**
     * One message of a watch stream. {@code revision} is the header's: etcd's newest revision when it
     * sent the message, which is not always a revision this watch has delivered everything up to (see
     * {@link #seenThrough()}). {@code created}: etcd's first answer, which says the watch exists.
     */
    public record WatchMessage(long revision, List<WatchEvent> events, boolean created, boolean canceled,
            long compactRevision, String cancelReason) {

        /**
         * The revision up to which this message shows the watch has delivered every change, or 0 when it
         * shows none: the newest change it carries; for a progress notification (no changes, and etcd
         * sends one only to a watch that has caught up), the header's revision. Never the header of the
         * "created" answer, nor of a batch of changes: to a watch that starts in the past, etcd answers
         * "created" with its newest revision and replays the changes missed only afterwards, in batches
         * stamped with its newest revision too; a watch resumed from such a stamp would skip them.
         */
        public long seenThrough() {
            if (created || canceled) {
                return 0;
            }
            if (events.isEmpty()) {
                return revision;
            }
            long newest = 0;
            for (WatchEvent e : events) {
                newest = Math.max(newest, e.kv().modRevision());
            }
            return newest;
        }
    }

    /** A change seen by a watch: a put (value present) or a delete. */
    public record WatchEvent(boolean delete, Kv kv) {
    }

    /** A running watch; closing it ends the stream. */
    public interface Watch extends AutoCloseable {
        @Override
        void close();
    }

    private final Vertx vertx;
    private final HttpClient http;
    private final List<URI> endpoints;
    private final long timeoutMillis;
    private final String user;
    private final String password;
    private final AtomicInteger current = new AtomicInteger();
    private volatile String authToken;

    /**
     * @param vertx the Vert.x instance whose event loop runs this client
     * @param options endpoints, credentials, TLS files and timeout
     * @throws IOException when a credentials or TLS file cannot be read
     */
    public EtcdGateway(Vertx vertx, FleetOptions options) throws IOException {
        this.vertx = vertx;
        this.endpoints = List.copyOf(options.endpoints());
        this.timeoutMillis = options.timeout().toMillis();
        this.user = options.user();
        this.password = options.passwordFile() == null ? null
                : Files.readString(options.passwordFile(), StandardCharsets.UTF_8).strip();
        HttpClientOptions http = new HttpClientOptions().setConnectTimeout((int) Math.min(timeoutMillis, 5000))
                .setKeepAlive(true);
        boolean tls = endpoints.stream().anyMatch(u -> "https".equals(u.getScheme()));
        if (tls) {
            http.setSsl(true);
            if (options.caFile() != null) {
                http.setTrustOptions(new PemTrustOptions().addCertPath(options.caFile().toString()));
            }
            if (options.certFile() != null && options.keyFile() != null) {
                http.setKeyCertOptions(new PemKeyCertOptions().setCertPath(options.certFile().toString())
                        .setKeyPath(options.keyFile().toString()));
            }
        }
        this.http = vertx.createHttpClient(http, new PoolOptions().setHttp1MaxSize(8));
    }

    /** The endpoint calls go to now. */
    public URI endpoint() {
        return endpoints.get(Math.floorMod(current.get(), endpoints.size()));
    }

    /** Every pair whose key starts with {@code prefix}, read at one revision. */
    public Future<Range> rangePrefix(String prefix) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("key", b64(prefix));
        body.put("range_end", b64(prefixEnd(prefix)));
        return call("/v3/kv/range", body).map(EtcdGateway::range);
    }

    /**
     * Runs a transaction. {@code compare}, {@code success} and {@code failure} are in the gateway's
     * JSON form; build them with {@link #compareValue}, {@link #compareCreate}, {@link #compareMod},
     * {@link #put} and {@link #get}.
     */
    public Future<TxnResult> txn(ArrayNode compare, ArrayNode success, ArrayNode failure) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.set("compare", compare);
        body.set("success", success);
        body.set("failure", failure);
        return call("/v3/kv/txn", body).map(doc -> new TxnResult(doc.path("succeeded").asBoolean(false),
                revision(doc), doc.path("responses")));
    }

    /** Grants a lease of {@code ttl} seconds; completes with its id. */
    public Future<Long> grantLease(long ttl) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("TTL", Long.toString(ttl));
        return call("/v3/lease/grant", body).map(doc -> doc.path("ID").asLong());
    }

    /** Renews a lease; completes with its remaining TTL in seconds, 0 or less when it expired. */
    public Future<Long> keepAlive(long lease) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("ID", Long.toString(lease));
        return call("/v3/lease/keepalive", body).map(doc -> doc.path("result").path("TTL").asLong(0));
    }

    /** Deletes every key in {@code [key, rangeEnd)}; completes with how many went. */
    public Future<Long> deleteRange(String key, String rangeEnd) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("key", b64(key));
        body.put("range_end", b64(rangeEnd));
        return call("/v3/kv/deleterange", body).map(doc -> doc.path("deleted").asLong(0));
    }

    /** Revokes a lease: every key under it goes at once. */
    public Future<Void> revokeLease(long lease) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("ID", Long.toString(lease));
        return call("/v3/lease/revoke", body).mapEmpty();
    }

    /** Puts one key, optionally under a lease (0: none). */
    public Future<Long> put(String key, byte[] value, long lease) {
        ObjectNode body = putBody(key, value, lease);
        return call("/v3/kv/put", body).map(EtcdGateway::revision);
    }

    /**
     * Watches every key under {@code prefix} from {@code startRevision}. {@code messages} hears each
     * message in order; {@code ended} hears once when the stream stops for any reason other than
     * {@link Watch#close()}.
     */
    public Future<Watch> watch(String prefix, long startRevision, Handler<WatchMessage> messages,
            Handler<Throwable> ended) {
        ObjectNode create = Json.MAPPER.createObjectNode();
        create.put("key", b64(prefix));
        create.put("range_end", b64(prefixEnd(prefix)));
        create.put("start_revision", Long.toString(startRevision));
        create.put("progress_notify", true);
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.set("create_request", create);
        URI endpoint = endpoint();
        RequestOptions request = requestTo(endpoint, "/v3/watch").setIdleTimeout(0);
        return authenticated().compose(v -> http.request(request)).compose(req -> {
            Promise<Watch> started = Promise.promise();
            boolean[] closed = {false};
            boolean[] over = {false};
            Handler<Throwable> end = t -> {
                if (!over[0] && !closed[0]) {
                    over[0] = true;
                    ended.handle(t);
                }
                over[0] = true;
            };
            Watch watch = () -> {
                closed[0] = true;
                req.reset();
            };
            RecordParser lines = RecordParser.newDelimited("\n", line -> {
                if (line.length() == 0) {
                    return;
                }
                JsonNode doc;
                try {
                    doc = Json.MAPPER.readTree(line.getBytes());
                } catch (IOException e) {
                    end.handle(new IOException("etcd sent a watch message that is not JSON: " + e.getMessage()));
                    watch.close();
                    return;
                }
                JsonNode result = doc.path("result");
                if (result.isMissingNode()) {
                    end.handle(new IOException("etcd ended the watch: " + errorOf(doc)));
                    return;
                }
                messages.handle(watchMessage(result));
            });
            req.send(Buffer.buffer(write(body))).onComplete(ar -> {
                if (ar.failed()) {
                    started.tryFail(ar.cause());
                    return;
                }
                var response = ar.result();
                if (response.statusCode() != 200) {
                    response.body().onComplete(b -> started.tryFail(new IOException("etcd at " + endpoint
                            + " refused the watch: HTTP " + response.statusCode() + " "
                            + (b.succeeded() ? b.result().toString() : ""))));
                    return;
                }
                response.handler(lines::handle);
                response.exceptionHandler(end::handle);
                response.endHandler(v -> end.handle(new IOException("etcd at " + endpoint + " closed the watch")));
                started.tryComplete(watch);
            });
            return started.future().timeout(timeoutMillis, TimeUnit.MILLISECONDS);
        }).recover(t -> {
            rotateOnConnectFailure(endpoint, t);
            return Future.failedFuture(failure(endpoint, t));
        });
    }

    /** Compare: the key's value equals {@code value}. */
    public static ObjectNode compareValue(String key, String value) {
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.put("key", b64(key));
        c.put("result", "EQUAL");
        c.put("target", "VALUE");
        c.put("value", b64(value));
        return c;
    }

    /** Compare: the key was created at {@code revision} (0: the key does not exist). */
    public static ObjectNode compareCreate(String key, long revision) {
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.put("key", b64(key));
        c.put("result", "EQUAL");
        c.put("target", "CREATE");
        c.put("create_revision", Long.toString(revision));
        return c;
    }

    /** Compare: the key was last modified at {@code revision}. */
    public static ObjectNode compareMod(String key, long revision) {
        ObjectNode c = Json.MAPPER.createObjectNode();
        c.put("key", b64(key));
        c.put("result", "EQUAL");
        c.put("target", "MOD");
        c.put("mod_revision", Long.toString(revision));
        return c;
    }

    /** Operation: put. */
    public static ObjectNode put(String key, byte[] value) {
        ObjectNode op = Json.MAPPER.createObjectNode();
        op.set("request_put", putBody(key, value, 0));
        return op;
    }

    /** Operation: put under a lease, so that the key goes when the lease expires. */
    public static ObjectNode putLeased(String key, byte[] value, long lease) {
        ObjectNode op = Json.MAPPER.createObjectNode();
        op.set("request_put", putBody(key, value, lease));
        return op;
    }

    /** Operation: read one key. */
    public static ObjectNode get(String key) {
        ObjectNode range = Json.MAPPER.createObjectNode();
        range.put("key", b64(key));
        ObjectNode op = Json.MAPPER.createObjectNode();
        op.set("request_range", range);
        return op;
    }

    /** The pairs of the {@code index}th response of a transaction, when it was a range read. */
    public static List<Kv> rangeResponse(TxnResult txn, int index) {
        return kvs(txn.responses().path(index).path("response_range").path("kvs"));
    }

    private static ObjectNode putBody(String key, byte[] value, long lease) {
        ObjectNode put = Json.MAPPER.createObjectNode();
        put.put("key", b64(key));
        put.put("value", Base64.getEncoder().encodeToString(value));
        if (lease != 0) {
            put.put("lease", Long.toString(lease));
        }
        return put;
    }

    private Future<JsonNode> call(String path, ObjectNode body) {
        return authenticated().compose(v -> callOnce(path, body, 0));
    }

    private Future<JsonNode> callOnce(String path, ObjectNode body, int tried) {
        URI endpoint = endpoint();
        byte[] bytes = write(body);
        Future<JsonNode> answer = http.request(requestTo(endpoint, path))
                .compose(req -> req.send(Buffer.buffer(bytes)))
                .compose(response -> response.body().compose(b -> {
                    JsonNode doc;
                    try {
                        doc = Json.MAPPER.readTree(b.getBytes());
                    } catch (IOException e) {
                        return Future.failedFuture(new IOException("etcd at " + endpoint + " answered " + path
                                + " with something that is not JSON (HTTP " + response.statusCode() + ")"));
                    }
                    if (response.statusCode() != 200) {
                        String error = errorOf(doc);
                        if (user != null && error.contains("auth token")) {
                            // etcd forgot the token (it restarted, or the token's TTL ran out): the
                            // next call authenticates again.
                            authToken = null;
                        }
                        return Future.failedFuture(new IOException("etcd at " + endpoint + " refused " + path + ": "
                                + error));
                    }
                    return Future.succeededFuture(doc);
                }))
                .timeout(timeoutMillis, TimeUnit.MILLISECONDS);
        return answer.recover(t -> {
            boolean connect = rotateOnConnectFailure(endpoint, t);
            if (connect && tried + 1 < endpoints.size()) {
                // Nothing reached etcd: safe to try the next endpoint, even for a transaction.
                return callOnce(path, body, tried + 1);
            }
            return Future.failedFuture(failure(endpoint, t));
        });
    }

    private Future<Void> authenticated() {
        if (user == null || authToken != null) {
            return Future.succeededFuture();
        }
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("name", user);
        body.put("password", password == null ? "" : password);
        return callOnceNoAuth("/v3/auth/authenticate", body).map(doc -> {
            authToken = doc.path("token").asText(null);
            return null;
        });
    }

    private Future<JsonNode> callOnceNoAuth(String path, ObjectNode body) {
        URI endpoint = endpoint();
        return http.request(requestTo(endpoint, path).removeHeader("Authorization"))
                .compose(req -> req.send(Buffer.buffer(write(body))))
                .compose(r -> r.body().map(b -> {
                    try {
                        JsonNode doc = Json.MAPPER.readTree(b.getBytes());
                        if (r.statusCode() != 200) {
                            throw new IllegalStateException("etcd at " + endpoint + " refused the user " + user
                                    + ": " + errorOf(doc));
                        }
                        return doc;
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                }))
                .timeout(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    private RequestOptions requestTo(URI endpoint, String path) {
        RequestOptions o = new RequestOptions().setMethod(HttpMethod.POST)
                .setHost(endpoint.getHost())
                .setPort(endpoint.getPort() > 0 ? endpoint.getPort() : ("https".equals(endpoint.getScheme()) ? 443 : 2379))
                .setURI(path)
                .setSsl("https".equals(endpoint.getScheme()))
                .putHeader("Content-Type", "application/json");
        if (authToken != null) {
            o.putHeader("Authorization", authToken);
        }
        return o;
    }

    private boolean rotateOnConnectFailure(URI endpoint, Throwable t) {
        boolean connect = t instanceof ConnectException
                || (t.getCause() instanceof ConnectException)
                || t.getClass().getSimpleName().contains("ConnectTimeout");
        if (connect || t instanceof java.util.concurrent.TimeoutException
                || t instanceof io.vertx.core.http.HttpClosedException) {
            current.compareAndSet(endpoints.indexOf(endpoint), endpoints.indexOf(endpoint) + 1);
        }
        return connect;
    }

    private static IOException failure(URI endpoint, Throwable t) {
        if (t instanceof IOException io && io.getMessage() != null && io.getMessage().startsWith("etcd ")) {
            return io;
        }
        // words for an operator: no exception class names (they reach ctl and the console)
        boolean refused = false;
        for (Throwable c = t; c != null && !refused; c = c.getCause()) {
            refused = c instanceof ConnectException && c.getMessage() != null
                    && c.getMessage().contains("Connection refused");
        }
        String what = t instanceof java.util.concurrent.TimeoutException ? "did not answer in time"
                : refused ? "refused the connection"
                : "cannot be reached" + (t.getMessage() == null ? "" : " (" + t.getMessage() + ")");
        return new IOException("etcd at " + endpoint + " " + what, t);
    }

    private static String errorOf(JsonNode doc) {
        JsonNode error = doc.has("error") ? doc.get("error") : doc;
        String message = error.path("message").asText(error.path("error").asText(""));
        return message.isEmpty() ? doc.toString() : message;
    }

    private static Range range(JsonNode doc) {
        return new Range(revision(doc), kvs(doc.path("kvs")), doc.path("header").path("cluster_id").asText(""));
    }

    private static long revision(JsonNode doc) {
        return doc.path("header").path("revision").asLong(0);
    }

    private static List<Kv> kvs(JsonNode array) {
        List<Kv> out = new ArrayList<>();
        for (JsonNode kv : array) {
            out.add(kv(kv));
        }
        return out;
    }

    private static Kv kv(JsonNode kv) {
        return new Kv(new String(Base64.getDecoder().decode(kv.path("key").asText("")), StandardCharsets.UTF_8),
                Base64.getDecoder().decode(kv.path("value").asText("")), kv.path("create_revision").asLong(0),
                kv.path("mod_revision").asLong(0), kv.path("lease").asLong(0));
    }

    private static WatchMessage watchMessage(JsonNode result) {
        List<WatchEvent> events = new ArrayList<>();
        for (JsonNode e : result.path("events")) {
            events.add(new WatchEvent("DELETE".equals(e.path("type").asText("PUT")), kv(e.path("kv"))));
        }
        return new WatchMessage(revision(result), events, result.path("created").asBoolean(false),
                result.path("canceled").asBoolean(false),
                result.path("compact_revision").asLong(0), result.path("cancel_reason").asText(""));
    }

    private static byte[] write(JsonNode body) {
        try {
            return Json.MAPPER.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }

    /** The first key after every key that starts with {@code prefix} (etcd's range end for a prefix). */
    static String prefixEnd(String prefix) {
        char last = prefix.charAt(prefix.length() - 1);
        return prefix.substring(0, prefix.length() - 1) + (char) (last + 1);
    }

    @Override
    public void close() {
        http.close();
    }

    /** Blocks for {@code future} at most the client's timeout plus a margin; for non-event-loop threads. */
    public <T> T await(Future<T> future) throws IOException {
        try {
            return future.toCompletionStage().toCompletableFuture().get(timeoutMillis + 1000, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            throw cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IOException("etcd at " + endpoint() + " did not answer in time", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for etcd", e);
        }
    }

    Duration timeout() {
        return Duration.ofMillis(timeoutMillis);
    }
}
