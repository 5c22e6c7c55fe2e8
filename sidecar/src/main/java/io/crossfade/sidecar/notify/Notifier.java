package io.crossfade.sidecar.notify;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.rollout.AuditEvent;
import io.crossfade.sidecar.rollout.AuditTrail;
import io.crossfade.sidecar.state.DurableFiles;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Announces every state change of a migration to the {@code --notify-url} webhooks. It follows the
 * audit trail, not the guard or the controller: {@link #wake()} (called after each durable change)
 * only schedules a look at the trail on this notifier's own thread, so no read, guard decision or
 * controller change ever waits on a webhook. Each change becomes one delivery per URL, kept in the
 * state directory ({@link Outbox}) until the receiver answers 2xx, retried with exponential backoff
 * ({@link #backoff}) and abandoned one hour after the change. In a fleet an event is announced only
 * by the sidecar that committed it (its {@code instance}), so the fleet sends it once.
 *
 * <p>Counts {@code crossfade_notifications_total{result}}: {@code delivered}, {@code failed} (an
 * attempt that will be retried), {@code abandoned}; {@code crossfade_notifications_pending} is the
 * outbox's size. Thread-safe: everything but {@link #wake()} and {@link #status()} runs on its thread.
 */
public final class Notifier implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Notifier.class);

    /** How long a change keeps being retried before it is abandoned. */
    static final Duration GIVE_UP_AFTER = Duration.ofHours(1);
    /** The longest wait between two attempts. */
    static final Duration MAX_BACKOFF = Duration.ofMinutes(5);
    /** How long one attempt may take, connection included. */
    static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(10);
    /** Audit events read from the trail per look. */
    private static final int PAGE = 500;

    private final NotifyOptions options;
    private final AuditTrail trail;
    private final Path stateDir;
    private final String instance;
    private final String fleet;
    private final Clock clock;
    private final ScheduledExecutorService thread;
    /**
     * Built on the first delivery, on {@link #thread} (the only one that uses it): building one
     * loads the JVM's TLS trust store, a tenth of a second or more of every start, though most
     * sidecars never send a notification.
     */
    private HttpClient http;
    private final Counter delivered;
    private final Counter failed;
    private final Counter abandoned;
    private final AtomicLong pendingCount = new AtomicLong();

    // Owned by the notifier's thread.
    private Outbox outbox;
    private ScheduledFuture<?> retry;
    private volatile String lastError;
    private volatile Instant lastErrorAt;
    private volatile Instant lastDeliveredAt;
    private String saveProblem;

    /**
     * Registers the metrics; does nothing else until {@link #start()}. With no URLs configured it stays
     * idle: no thread, no file.
     *
     * @param instance this sidecar's instance id
     * @param fleet the fleet's name, or null for a sidecar of its own
     * @param thread where all the work runs (one thread); shut down by {@link #close()}
     */
    public Notifier(NotifyOptions options, AuditTrail trail, Path stateDir, String instance, String fleet, Clock clock,
            ScheduledExecutorService thread, MeterRegistry registry) {
        this.options = options;
        this.trail = trail;
        this.stateDir = stateDir;
        this.instance = instance;
        this.fleet = fleet;
        this.clock = clock;
        this.thread = thread;
        delivered = counter(registry, "delivered");
        failed = counter(registry, "failed");
        abandoned = counter(registry, "abandoned");
        Gauge.builder("crossfade.notifications.pending", pendingCount, AtomicLong::get)
                .description("notifications waiting to be delivered (kept in the state directory)").register(registry);
    }

    private static Counter counter(MeterRegistry registry, String result) {
        return Counter.builder("crossfade.notifications").tag("result", result)
                .description("webhook notification attempts, by result: delivered, failed (retried later), abandoned"
                        + " (an hour after the change)").register(registry);
    }

    /**
     * Loads the outbox (or, on the first start, begins after the trail's last event: older changes are
     * not announced) and delivers what is due. Returns at once; the work runs on the notifier's thread.
     * Never fails the start: an unreadable outbox is set aside (its pending notifications are lost, and
     * said so), and one that cannot be saved is kept in memory until the state directory takes writes.
     */
    public void start() {
        if (!options.enabled()) {
            return;
        }
        Outbox saved;
        try {
            saved = Outbox.load(stateDir).orElse(null);
        } catch (IOException e) {
            LOG.error("notifications: {}; it is set aside as {}.unreadable and notifications start afresh after"
                    + " audit event {} (pending ones in it are not sent)", e.getMessage(), Outbox.FILE, trail.lastSeq());
            setAside();
            saved = null;
        }
        if (saved == null) {
            saved = new Outbox(trail.lastSeq(), List.of());
            save(saved);
        }
        Set<String> configured = new HashSet<>();
        options.urls().forEach(u -> configured.add(u.toString()));
        List<Delivery> kept = new ArrayList<>();
        for (Delivery d : saved.pending()) {
            if (configured.contains(d.url())) {
                kept.add(d);
            } else {
                LOG.info("notification {} ({}) dropped: {} is no longer a --notify-url", d.id(), d.action(), d.url());
            }
        }
        outbox = new Outbox(saved.cursor(), kept);
        pendingCount.set(kept.size());
        if (!kept.isEmpty()) {
            LOG.info("{} notification(s) kept from before the restart", kept.size());
        }
        wake();
    }

    /** Asks for a look at the audit trail soon. Never blocks; safe from any thread. */
    public void wake() {
        if (!options.enabled()) {
            return;
        }
        try {
            thread.execute(this::work);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // shutting down: what is not taken in now is read from the trail at the next start
        }
    }

    /** How the notifications are doing, for {@code /ready}; null when none are configured. */
    public Status status() {
        if (!options.enabled()) {
            return null;
        }
        return new Status(options.urls().size(), pendingCount.get(), (long) delivered.count(), (long) failed.count(),
                (long) abandoned.count(), str(lastDeliveredAt), lastError, str(lastErrorAt));
    }

    private static String str(Instant i) {
        return i == null ? null : i.toString();
    }

    /**
     * {@code /ready}'s {@code notifications}: counts since this start.
     *
     * @param urls how many webhooks
     * @param pending deliveries waiting (including ones being retried)
     * @param delivered attempts answered 2xx
     * @param failed attempts that failed and are retried
     * @param abandoned deliveries given up an hour after their change
     * @param lastDeliveredAt when the last one was delivered, or null
     * @param lastError why the last failed attempt failed (webhook and reason), or null
     * @param lastErrorAt when it failed, or null
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Status(int urls, long pending, long delivered, long failed, long abandoned, String lastDeliveredAt,
            String lastError, String lastErrorAt) {
    }

    /** The {@code json} body: the audit event's fields, and {@code text} for people. */
    record JsonBody(@JsonUnwrapped AuditEvent event, String text) {
    }

    /** The {@code slack} body. */
    record SlackBody(String text) {
    }

    /** The wait after {@code attempts} failed attempts: 1 s, 2 s, 4 s, … at most {@link #MAX_BACKOFF}. */
    static Duration backoff(int attempts) {
        long seconds = 1L << Math.min(Math.max(attempts - 1, 0), 20);
        return seconds >= MAX_BACKOFF.toSeconds() ? MAX_BACKOFF : Duration.ofSeconds(seconds);
    }

    /** {@code sha256=<hex>}: HMAC-SHA256 of {@code body} with {@code secret}, as GitHub signs its webhooks. */
    static String signature(byte[] secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    private void work() {
        if (outbox == null) {
            return; // not started
        }
        try {
            takeIn();
        } catch (IOException | RuntimeException e) {
            // The cursor did not move: the same events are read again at the next look.
            LOG.warn("notifications: cannot read new changes from the audit trail ({}); trying again in 5 s",
                    e.getMessage());
            schedule(Duration.ofSeconds(5));
            return;
        }
        deliverDue();
    }

    /** Reads the trail past the cursor; saves the new deliveries with the new cursor in one write. */
    private void takeIn() throws IOException {
        long cursor = outbox.cursor();
        List<Delivery> pending = new ArrayList<>(outbox.pending());
        boolean changed = false;
        if (trail.lastSeq() < cursor) {
            // A fleet store that came back empty or rewound numbers its events afresh: read it from the
            // start, so that its store_reset and what follows are announced (only announced actions are).
            LOG.info("notifications: the audit trail ends at {}, before the {} already read; reading it from the start",
                    trail.lastSeq(), cursor);
            cursor = 0;
            changed = true;
        }
        while (true) {
            List<AuditEvent> page = trail.page(cursor, null, PAGE);
            if (page.isEmpty()) {
                break;
            }
            for (AuditEvent e : page) {
                cursor = e.seq();
                changed = true;
                if (ours(e) && NotificationText.ANNOUNCED.contains(e.action())) {
                    String text = NotificationText.of(e, instance, fleet);
                    String body = Json.MAPPER.writeValueAsString(options.format() == NotifyOptions.Format.SLACK
                            ? new SlackBody(NotificationText.forSlack(text)) : new JsonBody(e, text));
                    Instant now = clock.instant();
                    for (int i = 0; i < options.urls().size(); i++) {
                        pending.add(new Delivery(e.seq() + "-" + e.time().toEpochMilli() + "-" + i, e.seq(), e.action(), options.urls().get(i).toString(),
                                body, now, 0, now, null));
                    }
                    LOG.info("notifying {} webhook(s): {}", options.urls().size(), text);
                }
            }
            if (page.size() < PAGE) {
                break;
            }
        }
        if (changed) {
            Outbox next = new Outbox(cursor, pending);
            save(next);
            outbox = next;
            pendingCount.set(pending.size());
        }
    }

    /**
     * Saves {@code next}; when the state directory refuses, says so and goes on from memory: a halt is
     * still announced while the disk is broken, and kept durably again at the next save that succeeds.
     */
    private void save(Outbox next) {
        try {
            next.save(stateDir);
            if (saveProblem != null) {
                LOG.info("notifications: the outbox is saved again in {}", stateDir);
                saveProblem = null;
            }
        } catch (IOException e) {
            String problem = DurableFiles.cause(e);
            if (!problem.equals(saveProblem)) {
                LOG.warn("notifications: cannot save the outbox in {} ({}); delivering from memory until the state"
                        + " directory takes writes (a restart meanwhile may repeat or miss notifications)", stateDir, problem);
            }
            saveProblem = problem;
        }
    }

    private void setAside() {
        try {
            java.nio.file.Files.move(stateDir.resolve(Outbox.FILE), stateDir.resolve(Outbox.FILE + ".unreadable"),
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            LOG.warn("notifications: cannot set {} aside: {}", Outbox.FILE, DurableFiles.cause(e));
        }
    }

    /** Made here: by this sidecar (its own state directory's events carry no instance). */
    private boolean ours(AuditEvent e) {
        return e.instance() == null || e.instance().equals(instance);
    }

    /**
     * Attempts every delivery that is due, oldest first; after one fails, later ones to the same URL
     * wait for its retry, so that a receiver gets a migration's changes in order.
     */
    private void deliverDue() {
        List<Delivery> pending = new ArrayList<>(outbox.pending());
        Set<String> blocked = new HashSet<>();
        boolean changed = false;
        for (int i = 0; i < pending.size(); i++) {
            Delivery d = pending.get(i);
            Instant now = clock.instant();
            if (blocked.contains(d.url()) || d.nextAttemptAt().isAfter(now)) {
                blocked.add(d.url());
                continue;
            }
            String error = attempt(d);
            changed = true;
            if (error == null) {
                delivered.increment();
                lastDeliveredAt = clock.instant();
                pending.remove(i--);
            } else if (!Duration.between(d.createdAt(), clock.instant()).minus(GIVE_UP_AFTER).isNegative()) {
                abandoned.increment();
                record(d, error);
                LOG.warn("notification {} ({}) abandoned after {} attempts over an hour: {}", d.id(), d.action(),
                        d.attempts() + 1, error);
                pending.remove(i--);
            } else {
                failed.increment();
                record(d, error);
                Delivery later = d.failed(error, clock.instant().plus(backoff(d.attempts() + 1)));
                pending.set(i, later);
                blocked.add(d.url());
                if (d.attempts() == 0) {
                    LOG.warn("notification {} ({}) to {} failed, retrying with backoff for an hour: {}", d.id(), d.action(),
                            redact(d.url()), error);
                }
            }
        }
        if (changed) {
            Outbox next = new Outbox(outbox.cursor(), pending);
            save(next);
            outbox = next;
            pendingCount.set(pending.size());
        }
        Instant next = null;
        for (Delivery d : pending) {
            if (next == null || d.nextAttemptAt().isBefore(next)) {
                next = d.nextAttemptAt();
            }
        }
        if (next != null) {
            schedule(Duration.between(clock.instant(), next));
        }
    }

    private void record(Delivery d, String error) {
        lastError = redact(d.url()) + ": " + error;
        lastErrorAt = clock.instant();
    }

    /** The URL without its path and query: a Slack webhook's path is its secret. */
    private static String redact(String url) {
        URI u = URI.create(url);
        return u.getScheme() + "://" + u.getAuthority() + (u.getRawPath() == null || u.getRawPath().isEmpty() ? "" : "/…");
    }

    /** One POST; null when the receiver answered 2xx, else why not. */
    private String attempt(Delivery d) {
        byte[] body = d.body().getBytes(StandardCharsets.UTF_8);
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(d.url())).timeout(ATTEMPT_TIMEOUT)
                .header("Content-Type", "application/json; charset=utf-8")
                .header("User-Agent", "crossfade-notifier")
                .header("X-Crossfade-Event", d.action())
                .header("X-Crossfade-Delivery", d.id())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (options.secret() != null) {
            request.header("X-Crossfade-Signature", signature(options.secret(), body));
        }
        if (http == null) {
            http = HttpClient.newBuilder().connectTimeout(ATTEMPT_TIMEOUT).followRedirects(HttpClient.Redirect.NEVER)
                    .build();
        }
        try {
            HttpResponse<Void> response = http.send(request.build(), HttpResponse.BodyHandlers.discarding());
            int status = response.statusCode();
            return status / 100 == 2 ? null : "answered " + status;
        } catch (IOException e) {
            return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private void schedule(Duration delay) {
        if (retry != null) {
            retry.cancel(false);
        }
        try {
            retry = thread.schedule(this::work, Math.max(0, delay.toMillis()), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            retry = null;
        }
    }

    /** Stops the thread; what is pending stays in the state directory for the next start. */
    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
