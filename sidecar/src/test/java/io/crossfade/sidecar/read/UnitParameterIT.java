package io.crossfade.sidecar.read;

import static org.assertj.core.api.Assertions.assertThat;

import io.crossfade.sidecar.json.Json;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read path takes the unit from the query string without Vert.x's parameter map: it must still
 * read it the way getParam did (malformed escapes are BadInputIT's).
 */
class UnitParameterIT {

    @TempDir
    static Path settings;
    @TempDir
    static Path state;
    private static SidecarProcess sidecar;

    @BeforeAll
    static void start() throws Exception {
        Files.writeString(settings.resolve("s.yaml"), """
                settings:
                  db.pool.size: { value: 10 }
                migrations:
                  db.pool.size: { to: 20, percent: 50 }
                """);
        sidecar = SidecarProcess.start(settings, state);
    }

    @AfterAll
    static void stop() {
        if (sidecar != null) {
            sidecar.close();
        }
    }

    private static String variant(String query) throws Exception {
        HttpResponse<String> r = sidecar.get("/v1/settings/db.pool.size?" + query);
        assertThat(r.statusCode()).as(query).isEqualTo(200);
        return Json.MAPPER.readTree(r.body()).get("variant").asText();
    }

    /** The variant of a unit sent in the header, which no query parsing touches. */
    private static String variantByHeader(String unit) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(sidecar.readUri().resolve("/v1/settings/db.pool.size"))
                .header("X-Crossfade-Unit", unit).build();
        return Json.MAPPER.readTree(SidecarProcess.send(request).body()).get("variant").asText();
    }

    @Test
    void decodedUnitBucketsLikeTheSameUnitInTheHeader() throws Exception {
        for (int i = 0; i < 40; i++) {
            String unit = "user " + i + " a+b&c=d/100%"; // ASCII: the header carries it byte for byte
            String encoded = java.net.URLEncoder.encode(unit, StandardCharsets.UTF_8);
            assertThat(variant("unit=" + encoded)).as(unit).isEqualTo(variantByHeader(unit));
            assertThat(variant("other=1&UNIT=" + encoded + "&unit=ignored")).as(unit).isEqualTo(variantByHeader(unit));
        }
    }

    @Test
    void emptyUnitFallsBackToTheHeader() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(sidecar.readUri() + "/v1/settings/db.pool.size?unit="))
                .header("X-Crossfade-Unit", "user-7").build();
        String viaEmptyQuery = Json.MAPPER.readTree(SidecarProcess.send(request).body()).get("variant").asText();
        assertThat(viaEmptyQuery).isEqualTo(variantByHeader("user-7"));
    }
}
