package io.crossfade.sidecar.admin;

import io.crossfade.config.ActiveMigration;
import io.crossfade.config.InputText;
import io.crossfade.config.SettingKey;
import io.crossfade.config.SettingsSnapshot;
import io.crossfade.sidecar.guard.GuardView;
import io.crossfade.sidecar.guard.MigrationHealth;
import io.crossfade.sidecar.history.HistoryView;
import io.crossfade.sidecar.history.MigrationHistory;
import io.crossfade.sidecar.http.Endpoints;
import io.crossfade.sidecar.http.ErrorCode;
import io.crossfade.sidecar.http.HttpResponses;
import io.crossfade.sidecar.http.RequestBodies;
import io.crossfade.sidecar.http.Routes;
import io.crossfade.sidecar.rollout.AuditEvent;
import io.crossfade.sidecar.rollout.ChangeRefusedException;
import io.crossfade.sidecar.rollout.MigrationRecord;
import io.crossfade.sidecar.rollout.PublishedState;
import io.crossfade.sidecar.rollout.RolloutController;
import io.crossfade.sidecar.source.SettingsReload;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API on the ops listener, every call behind {@code Authorization: Bearer <token>}:
 * <ul>
 *   <li>{@code GET /admin/v1/migrations} and {@code GET /admin/v1/migrations/{key}} — spec, state,
 *       revision (also the {@code ETag}) and health of each migration;</li>
 *   <li>{@code POST /admin/v1/migrations/{key}/percent} {@code {"percent", "reason"}}, and
 *       {@code .../pause}, {@code .../resume}, {@code .../rollback}, {@code .../complete}; and
 *       {@code .../include}, {@code .../exclude}, {@code .../uninclude}, {@code .../unexclude}
 *       {@code {"units", "reason"}}: the operator's cohort lists
 *       {@code {"reason"}} — answered with the new view only once the change is durable and
 *       served; {@code If-Match: <revision>} makes a change conditional (412 when stale);</li>
 *   <li>{@code GET /admin/v1/migrations/{key}/history} — the last hour of its percent and error
 *       rates ({@link MigrationHistory});</li>
 *   <li>{@code GET /admin/v1/events?since=&key=&limit=} — the audit log, paged;</li>
 *   <li>{@code POST /admin/v1/reload} {@code {"acceptRemovals"}} — load the settings now ({@link ReloadEndpoint}).</li>
 * </ul>
 * Bad input is refused with its own 4xx before anything changes, so it never reaches the audit log.
 *
 * <p>Runs on the event loop and never blocks: reads look at the published state (a volatile read)
 * and the in-memory audit log; changes go to the rollout controller, and the answer is written
 * back on the request's own context when its future completes.
 */
public final class AdminEndpoints implements Endpoints {

    private static final Logger LOG = LoggerFactory.getLogger(AdminEndpoints.class);

    private static final String ROOT = "/admin";
    private static final String MIGRATIONS = "/admin/v1/migrations";
    private static final String EVENTS = "/admin/v1/events";
    private static final String ROUTES = "the admin API has GET " + MIGRATIONS + ", GET " + MIGRATIONS + "/{key}, POST "
            + MIGRATIONS + "/{key}/percent|pause|resume|rollback|complete|include|exclude|uninclude|unexclude, GET " + MIGRATIONS + "/{key}/history, GET "
            + EVENTS + " and POST /admin/v1/reload";
    private static final CharSequence WWW_AUTHENTICATE = HttpHeaders.createOptimized("WWW-Authenticate");
    private static final CharSequence BEARER_CHALLENGE = HttpHeaders.createOptimized("Bearer realm=\"crossfade admin\"");
    private static final String HISTORY = "history";
    private static final Pattern IF_MATCH = Pattern.compile("\"?([0-9]{1,18})\"?");

    /** Default and largest page of {@code GET /admin/v1/events}. */
    static final int DEFAULT_EVENTS = 100;
    static final int MAX_EVENTS = 1000;

    private final RolloutController controller;
    private final java.util.function.Supplier<AdminTokens> tokens;
    private final MigrationHealth health;
    private final Clock clock;
    private final ReloadEndpoint reload;
    private final MigrationHistory history;
    private final java.util.function.Supplier<Object> instances;

    /**
     * @param controller where changes go and the published state comes from
     * @param tokens the accepted bearer tokens, asked at every call (they may be reloaded)
     * @param health the guard's view of each migration ({@link MigrationHealth#NONE} without a guard)
     * @param history the recent points of each migration, for {@code .../history}
     * @param clock for ramp hold times
     */
    public AdminEndpoints(RolloutController controller, java.util.function.Supplier<AdminTokens> tokens, MigrationHealth health,
            MigrationHistory history, Clock clock) {
        this(controller, tokens, health, history, clock, null);
    }

    /**
     * As above, in a fleet: {@code instances} answers {@code GET /admin/v1/instances} (a view
     * serialised as it is); null outside a fleet, where that path is not found.
     */
    public AdminEndpoints(RolloutController controller, java.util.function.Supplier<AdminTokens> tokens, MigrationHealth health,
            MigrationHistory history, Clock clock, java.util.function.Supplier<Object> instances) {
        this(controller, tokens, health, history, clock, instances, null);
    }

    /** @param reload the settings source an operator can reload ({@code POST /admin/v1/reload}), or null */
    public AdminEndpoints(RolloutController controller, java.util.function.Supplier<AdminTokens> tokens, MigrationHealth health,
            MigrationHistory history, Clock clock, java.util.function.Supplier<Object> instances,
            SettingsReload reload) {
        this.controller = controller;
        this.tokens = tokens;
        this.health = health;
        this.history = history;
        this.clock = clock;
        this.reload = new ReloadEndpoint(reload);
        this.instances = instances;
    }

    @Override
    public void addRoutes(Routes routes) {
        Routes admin = new Routes()
                .get(EVENTS, (request, params) -> events(request))
                .get(MIGRATIONS, (request, params) -> list(request))
                .get(MIGRATIONS + "/", (request, params) -> list(request))
                .get(MIGRATIONS + "/{key}", (request, params) -> show(request, params.get("key")))
                .get(MIGRATIONS + "/{key}/" + HISTORY, (request, params) -> history(request, params.get("key")));
        for (ChangeRequest.Action action : ChangeRequest.Action.values()) {
            admin.post(MIGRATIONS + "/{key}/" + action.segment(),
                    (request, params) -> change(request, params.get("key"), action));
        }
        if (instances != null) {
            admin.get(ROOT + "/v1/instances", (request, params) -> HttpResponses.json(request, 200, instances.get()));
        }
        admin.post(ReloadEndpoint.PATH, (request, params) -> reload.handle(request, actorOf(request)));
        // Every /admin path needs the token first, even one that does not exist or takes another method.
        Routes.Handler authenticated = (request, params) -> {
            if (authenticate(request).isPresent() && !admin.handle(request)) {
                HttpResponses.error(request, ErrorCode.NOT_FOUND, "nothing at " + request.path() + "; " + ROUTES);
            }
        };
        routes.add(Routes.ANY, ROOT, authenticated).add(Routes.ANY, ROOT + "/*", authenticated);
    }

    /**
     * The actor of a request that passed {@link #authenticate} (every admin route is behind it). When
     * the token file was reloaded in the microseconds between the two and the token is gone, the call
     * still goes through (it was authenticated) under the name {@code token-rotated}.
     */
    private String actorOf(HttpServerRequest request) {
        return tokens.get().actorFor(request.getHeader(HttpHeaders.AUTHORIZATION)).orElse("token-rotated");
    }

    /** The actor of the request's token, or empty after answering 401. */
    private Optional<String> authenticate(HttpServerRequest request) {
        String header = request.getHeader(HttpHeaders.AUTHORIZATION);
        Optional<String> actor = tokens.get().actorFor(header);
        if (actor.isPresent()) {
            return actor;
        }
        String message;
        if (header == null || header.isBlank()) {
            message = "the admin API needs an Authorization: Bearer <token> header; the token is in the file given"
                    + " to --admin-token-file, else in <state>/admin.token";
        } else if (AdminTokens.bearerToken(header) == null) {
            message = "the admin API takes Authorization: Bearer <token>, not '" + scheme(header) + "'";
        } else {
            message = "the bearer token is not valid for this sidecar";
            LOG.warn("admin API: refused {} {} from {}: wrong token", request.method(), request.path(),
                    request.remoteAddress());
        }
        request.response().putHeader(WWW_AUTHENTICATE, BEARER_CHALLENGE);
        HttpResponses.error(request, ErrorCode.UNAUTHORIZED, message);
        return Optional.empty();
    }

    private static String scheme(String header) {
        String value = header.strip();
        int space = value.indexOf(' ');
        String scheme = space < 0 ? value : value.substring(0, space);
        return InputText.abbreviate(scheme, 20);
    }

    private void list(HttpServerRequest request) {
        PublishedState state = controller.current();
        List<MigrationView> migrations = new ArrayList<>();
        for (ActiveMigration m : state.snapshot().migrations().values()) {
            MigrationRecord record = state.records().get(m.spec().key());
            if (record != null) {
                migrations.add(view(m, record));
            }
        }
        // pollers (the console) send If-None-Match and get 304 while nothing changed
        HttpResponses.jsonTagged(request, new MigrationList(state.snapshot().version(), migrations));
    }

    private void history(HttpServerRequest request, String key) {
        if (!validKey(request, key)) {
            return;
        }
        PublishedState state = controller.current();
        ActiveMigration m = state.snapshot().migration(key);
        Optional<HistoryView> view = m == null ? Optional.empty() : history.view(key);
        if (view.isEmpty() || !view.get().id().equals(m.id())) {
            HttpResponses.error(request, ErrorCode.NOT_FOUND, m == null ? noMigration(state.snapshot(), key)
                    : "no history of " + key + " yet; it starts with the migration's next change or sample");
            return;
        }
        HttpResponses.json(request, 200, view.get());
    }

    private void show(HttpServerRequest request, String key) {
        if (!validKey(request, key)) {
            return;
        }
        PublishedState state = controller.current();
        ActiveMigration m = state.snapshot().migration(key);
        MigrationRecord record = m == null ? null : state.records().get(key);
        if (record == null) {
            HttpResponses.error(request, ErrorCode.NOT_FOUND, noMigration(state.snapshot(), key));
            return;
        }
        respondWithView(request, view(m, record));
    }

    private void change(HttpServerRequest request, String key, ChangeRequest.Action action) {
        String actor = actorOf(request);
        if (!validKey(request, key)) {
            return;
        }
        Long expectedRevision;
        try {
            expectedRevision = ifMatch(request.getHeader(HttpHeaders.IF_MATCH));
        } catch (IllegalArgumentException e) {
            HttpResponses.error(request, ErrorCode.BAD_REQUEST, e.getMessage());
            return;
        }
        Context context = Vertx.currentContext();
        RequestBodies.read(request).onComplete(read -> {
            if (read.failed()) {
                if (read.cause() instanceof RequestBodies.TooLarge) {
                    HttpResponses.error(request, ErrorCode.PAYLOAD_TOO_LARGE, read.cause().getMessage());
                }
                return; // otherwise the connection is gone: nobody to answer
            }
            ChangeRequest parsed;
            try {
                parsed = ChangeRequest.parse(action, read.result().getBytes());
            } catch (ChangeRequest.Invalid e) {
                HttpResponses.error(request, ErrorCode.BAD_REQUEST, e.getMessage());
                return;
            }
            Future.fromCompletionStage(
                    controller.change(key, parsed.change(), actor, parsed.reason(), expectedRevision), context)
                    .onComplete(done -> {
                        if (done.succeeded()) {
                            respondWithView(request, viewAfterChange(done.result()));
                        } else {
                            refused(request, done.cause());
                        }
                    });
        });
    }

    /** The {@code If-Match} revision: null when absent or {@code *}; {@code 17} or {@code "17"} otherwise. */
    static Long ifMatch(String header) {
        if (header == null || header.isBlank() || header.strip().equals("*")) {
            return null;
        }
        Matcher m = IF_MATCH.matcher(header.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("If-Match must be one revision, like 17 or \"17\" (the ETag of"
                    + " GET " + MIGRATIONS + "/{key}), got '" + InputText.abbreviate(header, 40) + "'");
        }
        return Long.parseLong(m.group(1));
    }

    private static void refused(HttpServerRequest request, Throwable failure) {
        if (failure instanceof ChangeRefusedException refused) {
            ErrorCode code;
            switch (refused.reason()) {
                case NOT_FOUND: code = ErrorCode.NOT_FOUND; break;
                case CONFLICT: code = ErrorCode.CONFLICT; break;
                case PRECONDITION_FAILED: code = ErrorCode.PRECONDITION_FAILED; break;
                default: code = ErrorCode.UNAVAILABLE; break;
            }
            HttpResponses.error(request, code, refused.getMessage());
        } else {
            LOG.error("admin change to {} failed", request.path(), failure);
            HttpResponses.error(request, ErrorCode.INTERNAL, "the change failed inside the sidecar; see its log");
        }
    }

    private void events(HttpServerRequest request) {
        long since;
        int limit;
        String key = request.getParam("key");
        try {
            since = longParam(request, "since", 0, Long.MAX_VALUE, 0);
            limit = (int) longParam(request, "limit", 1, MAX_EVENTS, DEFAULT_EVENTS);
        } catch (IllegalArgumentException e) {
            HttpResponses.error(request, ErrorCode.BAD_REQUEST, e.getMessage());
            return;
        }
        if (key != null && key.isEmpty()) {
            key = null;
        }
        if (key != null && !validKey(request, key)) {
            return;
        }
        // The audit log is read from disk: off the event loop, and answered back on it.
        String only = key;
        long after = since;
        Vertx.currentContext().<EventPage>executeBlocking(() -> {
            List<AuditEvent> page = controller.audit().page(after, only, limit + 1);
            boolean more = page.size() > limit;
            if (more) {
                page = page.subList(0, limit);
            }
            return new EventPage(page.stream().map(EventView::of).toList(),
                    page.isEmpty() ? after : page.get(page.size() - 1).seq(), more, controller.audit().lastSeq());
        }, false).onComplete(done -> {
            if (done.succeeded()) {
                HttpResponses.json(request, 200, done.result());
            } else {
                LOG.error("reading the audit log: {}", done.cause().getMessage());
                HttpResponses.error(request, ErrorCode.UNAVAILABLE, "the audit log cannot be read: "
                        + done.cause().getMessage());
            }
        });
    }

    private static long longParam(HttpServerRequest request, String name, long min, long max, long absent) {
        String text = request.getParam(name);
        if (text == null || text.isEmpty()) {
            return absent;
        }
        long value;
        try {
            value = Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number from " + min + " to " + max
                    + ", got '" + InputText.abbreviate(text, 40) + "'");
        }
        if (value < min || value > max) {
            throw new IllegalArgumentException(name + " must be from " + min + " to " + max + ", got " + value);
        }
        return value;
    }

    private MigrationView view(ActiveMigration m, MigrationRecord record) {
        return MigrationView.of(m.spec(), record, healthOf(record.key()), clock.instant(),
                controller.current().startingPercentNote(record.key()));
    }

    /** The view of a record a change just produced, with the spec it was made under (if still served). */
    private MigrationView viewAfterChange(MigrationRecord record) {
        ActiveMigration m = controller.current().snapshot().migration(record.key());
        return MigrationView.of(m != null && m.id().equals(record.id()) ? m.spec() : null, record,
                healthOf(record.key()), clock.instant(), controller.current().startingPercentNote(record.key()));
    }

    private GuardView healthOf(String key) {
        try {
            return health.describe(key).orElse(null);
        } catch (RuntimeException e) {
            LOG.warn("migration health of {} could not be described: {}", key, e.toString());
            return null;
        }
    }

    private static void respondWithView(HttpServerRequest request, MigrationView view) {
        request.response().putHeader(HttpHeaders.ETAG, "\"" + view.revision() + "\"");
        HttpResponses.json(request, 200, view);
    }

    private static boolean validKey(HttpServerRequest request, String key) {
        if (SettingKey.isValid(key)) {
            return true;
        }
        HttpResponses.error(request, ErrorCode.BAD_REQUEST,
                "invalid key '" + InputText.abbreviate(key, 80) + "': " + SettingKey.rule());
        return false;
    }

    private static String noMigration(SettingsSnapshot snapshot, String key) {
        return snapshot.contains(key) ? "setting " + key + " has no migration" : "no setting named " + key;
    }
}
