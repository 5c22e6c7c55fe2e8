package io.crossfade.sidecar.console;

import io.crossfade.sidecar.http.Endpoints;
import io.crossfade.sidecar.http.EntityTags;
import io.crossfade.sidecar.http.ErrorCode;
import io.crossfade.sidecar.http.HttpResponses;
import io.crossfade.sidecar.http.Routes;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The operator console on the ops listener: {@code /console/} serves a static page (HTML, CSS and
 * JavaScript bundled in the jar, nothing fetched from elsewhere) that talks to the admin API with
 * the bearer token the operator enters, kept in the tab's {@code sessionStorage}. {@code /} and
 * {@code /console} redirect to {@code /console/}.
 *
 * <p>The page shell needs no token: it holds no data, and every admin call it makes is
 * authenticated on its own. Every answer here carries a strict {@code Content-Security-Policy}
 * (scripts, styles, images and requests from this origin only; no inline script or style; no
 * framing; no form submission), {@code X-Frame-Options: DENY}, {@code Referrer-Policy: no-referrer}
 * and {@code X-Content-Type-Options: nosniff}. Assets are read once at construction and answered
 * from memory with an {@code ETag}, revalidated on every load ({@code Cache-Control: no-cache}) so
 * that an upgraded sidecar never serves a stale script.
 */
public final class ConsoleEndpoints implements Endpoints {

    /** Where the page lives. */
    public static final String PATH = "/console/";

    /** The policy of every console answer; tests pin it. */
    public static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private static final String RESOURCES = "/io/crossfade/sidecar/console/";
    private static final Map<String, String> TYPES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "console.css", "text/css; charset=utf-8",
            "console.js", "text/javascript; charset=utf-8",
            "cohorts.js", "text/javascript; charset=utf-8",
            "favicon.svg", "image/svg+xml");

    private record Asset(Buffer body, CharSequence type, String etag) {
    }

    private final Map<String, Asset> assets;

    /** Loads the bundled assets; fails fast when the jar lacks one. */
    public ConsoleEndpoints() {
        Map<String, Asset> loaded = new HashMap<>();
        TYPES.forEach((name, type) -> {
            byte[] bytes = read(name);
            loaded.put(name, new Asset(Buffer.buffer(bytes), HttpHeaders.createOptimized(type),
                    HttpResponses.contentTag(bytes)));
        });
        this.assets = Map.copyOf(loaded);
    }

    private static byte[] read(String name) {
        try (InputStream in = ConsoleEndpoints.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IllegalStateException("the console asset " + RESOURCES + name + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void addRoutes(Routes routes) {
        // Any method: even a refused one gets the console's security headers before its 405.
        routes.add(Routes.ANY, "/", (request, params) -> redirect(request))
                .add(Routes.ANY, "/console", (request, params) -> redirect(request))
                .add(Routes.ANY, PATH + "*", (request, params) -> asset(request, params.get("*")));
    }

    /** Secures the answer; false after answering 405 to a method other than GET or HEAD. */
    private static boolean securedRead(HttpServerRequest request) {
        secure(request.response());
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            HttpResponses.methodNotAllowed(request, "GET, HEAD");
            return false;
        }
        return true;
    }

    private static void redirect(HttpServerRequest request) {
        if (securedRead(request)) {
            request.response().setStatusCode(302).putHeader(HttpHeaders.LOCATION, PATH).end();
        }
    }

    private void asset(HttpServerRequest request, String name) {
        if (!securedRead(request)) {
            return;
        }
        Asset asset = assets.get(name.isEmpty() ? "index.html" : name);
        if (asset == null) {
            HttpResponses.error(request, ErrorCode.NOT_FOUND, "the console has no " + request.path());
            return;
        }
        HttpServerResponse response = request.response();
        response.putHeader(HttpHeaders.ETAG, asset.etag()).putHeader(HttpHeaders.CACHE_CONTROL, "no-cache");
        if (EntityTags.noneMatch(request.getHeader(HttpHeaders.IF_NONE_MATCH), asset.etag())) {
            response.setStatusCode(304).end();
            return;
        }
        response.setStatusCode(200).putHeader(HttpHeaders.CONTENT_TYPE, asset.type());
        HttpResponses.end(request, asset.body());
    }

    private static void secure(HttpServerResponse response) {
        response.putHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY)
                .putHeader("X-Frame-Options", "DENY")
                .putHeader("Referrer-Policy", "no-referrer")
                .putHeader("X-Content-Type-Options", "nosniff")
                .putHeader("Cross-Origin-Opener-Policy", "same-origin");
    }
}
