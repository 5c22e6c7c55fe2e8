package io.crossfade.sidecar.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.crossfade.config.Bucketing;
import io.crossfade.config.Variant;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;

/**
 * The operator console in a real headless Chromium against the real sidecar jar: an operator's
 * session from the token to a guard trip, each step seen the way a person sees it. Screenshots of
 * each step are kept under {@code target/console-screenshots/}.
 *
 * <p>One sidecar and one browser serve every test (each starts in ~5 s on a loaded machine); each
 * test steers its own migration, so the order of the tests does not matter, except that the last
 * one photographs the page after the others acted.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration WAIT = Duration.ofSeconds(30);

    private static final String SETTINGS = """
            settings:
              db.pool.size: { value: 10, owner: team-data, description: connections per instance }
              checkout.timeout_ms: { value: 800 }
              checkout.banner: { value: { text: "Free shipping", color: "#0a0" } }
              feature.one_click_buy: { value: false }
            migrations:
              db.pool.size:
                to: 20
                percent: 5
                owner: alice
                expected: p99 latency unchanged, no pool exhaustion errors
                rollback: set percent to 0; 10 is the old value
              checkout.timeout_ms:
                to: 1200
                percent: 10
                owner: bob
                expected: fewer payment timeouts
                rollback: roll back; 800 is the old value
                guard: { maxErrorRate: 0.05, minSamples: 20, window: 30s, action: halt }
              checkout.banner:
                to: { text: "Free shipping over 20 EUR", color: "#0a0" }
                percent: 25
                owner: carol
              feature.one_click_buy:
                to: true
                owner: dave
                expected: more completed checkouts
                rollback: roll back; nobody depends on it yet
                steps: [ { percent: 10, hold: 30m }, { percent: 50, hold: 30m }, { percent: 100 } ]
            """;

    private Path settings;
    private Path state;
    private SidecarProcess sidecar;
    private ConsolePage page;

    @BeforeAll
    void start() throws Exception {
        String missing = ConsolePage.missingBrowser();
        if (missing != null) {
            // CI (.ci/run) sets -Dcrossfade.browser=required, so there a missing browser fails instead
            assertThat("required".equals(System.getProperty("crossfade.browser"))).as(missing).isFalse();
            Assumptions.abort(missing);
        }
        settings = Files.createTempDirectory("console-settings");
        state = Files.createTempDirectory("console-state");
        SettingsFiles.write(settings, "checkout.yaml", SETTINGS);
        sidecar = SidecarProcess.start(settings, state);
        page = ConsolePage.start(sidecar.opsUri());
    }

    @AfterAll
    void stop() {
        if (page != null) {
            page.close();
        }
        if (sidecar != null) {
            sidecar.close();
        }
    }

    /** The console connected with the right token: kept from the previous test when it still is. */
    private void connected() {
        boolean connected = page.driver().getCurrentUrl().endsWith("/console/")
                && !page.driver().findElements(By.cssSelector("article.card")).isEmpty()
                && page.js("return sessionStorage.getItem('crossfade.adminToken')") != null;
        if (!connected) {
            page.openFresh();
            page.enterToken(sidecar.adminToken());
        }
        page.card("db.pool.size");
    }

    // ---- the shell and its headers ----

    @Test
    @Order(1)
    void theRootRedirectsToAShellThatShowsNoDataUntilATokenIsGiven() {
        page.open("/");
        assertThat(page.driver().getCurrentUrl()).isEqualTo(sidecar.opsUri().resolve("/console/").toString());
        page.js("sessionStorage.clear()");
        page.open("/console/");
        assertThat(page.driver().findElement(By.id("login")).isDisplayed()).isTrue();
        assertThat(page.driver().findElement(By.id("migrations-section")).isDisplayed()).isFalse();
        assertThat(page.driver().findElements(By.cssSelector("article.card"))).isEmpty();
        page.viewportScreenshot("01-shell-without-token");
    }

    @Test
    @Order(2)
    void thePageAndItsAssetsCarryAStrictPolicyAndNoInlineCodeOrStyle() {
        for (String path : List.of("/", "/console/", "/console/console.js", "/console/console.css",
                "/console/favicon.svg", "/console/missing.js")) {
            HttpResponse<String> r = sidecar.getOps(path);
            assertThat(r.headers().firstValue("Content-Security-Policy")).as(path)
                    .contains(ConsoleEndpoints.CONTENT_SECURITY_POLICY);
            assertThat(ConsoleEndpoints.CONTENT_SECURITY_POLICY).doesNotContain("unsafe");
            assertThat(r.headers().firstValue("X-Frame-Options")).as(path).contains("DENY");
            assertThat(r.headers().firstValue("Referrer-Policy")).as(path).contains("no-referrer");
            assertThat(r.headers().firstValue("X-Content-Type-Options")).as(path).contains("nosniff");
        }
        HttpResponse<String> root = sidecar.getOps("/");
        assertThat(root.statusCode()).isEqualTo(302);
        assertThat(root.headers().firstValue("Location")).contains("/console/");
        assertThat(sidecar.getOps("/console").headers().firstValue("Location")).contains("/console/");
        HttpResponse<String> html = sidecar.getOps("/console/");
        assertThat(html.statusCode()).isEqualTo(200);
        assertThat(html.headers().firstValue("Content-Type")).contains("text/html; charset=utf-8");
        // nothing that needs 'unsafe-inline': no inline script, no handler attributes, no style attributes
        assertThat(html.body()).doesNotContainPattern("<script(?![^>]*\\bsrc=)")
                .doesNotContainPattern("\\son[a-z]+=").doesNotContainPattern("\\sstyle=").doesNotContain("<style");
        // nothing loaded from elsewhere (the SVG namespace is a name, not a request)
        String elsewhere = "https?://(?!www\\.w3\\.org/2000/svg)";
        assertThat(html.body()).doesNotContainPattern(elsewhere);
        assertThat(sidecar.getOps("/console/console.css").body()).doesNotContainPattern(elsewhere).doesNotContain("@import");
        assertThat(sidecar.getOps("/console/console.js").body()).doesNotContainPattern(elsewhere).doesNotContain("localStorage.set")
                .doesNotContain("document.cookie").doesNotContain("EventSource").doesNotContain("innerHTML");
        String etag = html.headers().firstValue("ETag").orElseThrow();
        HttpResponse<String> again = SidecarProcess.send(HttpRequest.newBuilder(sidecar.opsUri().resolve("/console/"))
                .header("If-None-Match", etag).GET().build());
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(sidecar.getOps("/console/missing.js").statusCode()).isEqualTo(404);
    }

    // ---- the token ----

    @Test
    @Order(3)
    void aWrongTokenIsRefusedWithASentence() {
        page.openFresh();
        page.enterToken("not-the-right-token-0123456789");
        await().atMost(WAIT).until(() -> page.driver().findElement(By.id("token-error")).getText()
                .startsWith("The sidecar refused this token"));
        assertThat(page.driver().findElement(By.id("token-error")).getText())
                .contains("the bearer token is not valid for this sidecar").contains("admin.token");
        assertThat(page.driver().findElement(By.id("migrations-section")).isDisplayed()).isFalse();
        assertThat(page.js("return sessionStorage.getItem('crossfade.adminToken')")).isNull();
        page.viewportScreenshot("02-wrong-token");
    }

    @Test
    @Order(4)
    void withTheTokenEveryMigrationIsShownWithItsFieldsAndTheAuditEvents() throws Exception {
        connected();
        assertThat(page.cardText("db.pool.size", ".percent")).isEqualTo("5.000 %");
        assertThat(page.cardText("db.pool.size", ".state")).isEqualTo("running");
        assertThat(page.cardText("db.pool.size", ".from")).isEqualTo("10");
        assertThat(page.cardText("db.pool.size", ".to")).isEqualTo("20");
        assertThat(page.cardText("db.pool.size", ".owner")).isEqualTo("alice");
        assertThat(page.cardText("db.pool.size", ".expected")).isEqualTo("p99 latency unchanged, no pool exhaustion errors");
        assertThat(page.cardText("db.pool.size", ".rollback-note")).isEqualTo("set percent to 0; 10 is the old value");
        assertThat(page.cardText("db.pool.size", ".revision")).isEqualTo(revision("db.pool.size"));
        assertThat(page.cardText("db.pool.size", ".guard-status")).isNotEmpty();
        assertThat(page.cardText("checkout.banner", ".to")).isEqualTo("{\"text\":\"Free shipping over 20 EUR\",\"color\":\"#0a0\"}");
        assertThat(page.cardText("feature.one_click_buy", ".steps")).contains("10.000 % for 30m").contains("100.000 %");
        assertThat(page.cardText("checkout.timeout_ms", ".percent")).isEqualTo("10.000 %");
        // each card's chart is drawn from the history endpoint
        await().atMost(WAIT).until(() -> !page.card("db.pool.size").findElements(By.cssSelector(".chart-box svg path.percent-line-path")).isEmpty());
        // audit events with their actors and reasons, and this instance
        await().atMost(WAIT).until(() -> page.eventRows().stream().anyMatch(r -> r.contains("reload") && r.contains("created")
                && r.contains("db.pool.size")));
        assertThat(page.driver().findElement(By.id("instances")).getText()).contains("This instance")
                .contains(sidecar.opsUri().getAuthority());
        // the token is in this tab's sessionStorage only
        assertThat(page.js("return sessionStorage.getItem('crossfade.adminToken')")).isEqualTo(sidecar.adminToken());
        assertThat(page.js("return localStorage.length")).isEqualTo(0L);
        assertThat(page.js("return document.cookie")).isEqualTo("");
        page.viewportScreenshot("03-migrations");
    }

    // ---- acting ----

    @Test
    @Order(5)
    void aPercentSetOnThePageServesReadsAtTheNewPercent() throws Exception {
        connected();
        String key = "db.pool.size";
        // a unit that moves from old to new between 5 % and 37.5 %
        String unit = unitBetween(key, 5_000, 37_500);
        assertThat(readOf(key, unit).get("variant").asText()).isEqualTo("old");

        page.type(key, "Exact percent", "37.5");
        page.click(key, "Set percent");
        page.awaitCardText(key, ".card-message", "Give a reason");
        assertThat(page.cardText(key, ".percent")).isEqualTo("5.000 %"); // nothing sent without a reason

        page.type(key, "Reason", "canary looks fine");
        page.click(key, "Set percent");
        page.awaitCardText(key, ".percent", "37.500 %");
        page.awaitCardText(key, ".card-message", "Set percent done");

        JsonNode read = readOf(key, unit);
        assertThat(read.get("variant").asText()).isEqualTo("new");
        assertThat(read.get("value").asInt()).isEqualTo(20);
        assertThat(read.get("migration").get("percent").decimalValue()).isEqualByComparingTo("37.5");
        await().atMost(WAIT).until(() -> page.eventRows().stream().anyMatch(r -> r.contains("set_percent")
                && r.contains("canary looks fine") && r.contains("37.500 %")));

        // the slider moves the percent too, by keyboard
        WebElement slider = page.inCard(key, "Percent on the new value");
        slider.sendKeys(org.openqa.selenium.Keys.ARROW_RIGHT);
        assertThat(page.inCard(key, "Exact percent").getAttribute("value")).isEqualTo("39.000");
        page.type(key, "Reason", "a little more");
        page.click(key, "Set percent");
        page.awaitCardText(key, ".percent", "39.000 %");
        page.scrollTo("article.card[data-key='db.pool.size'] .guard");
        page.viewportScreenshot("04-percent-set");
    }

    @Test
    @Order(6)
    void aGuardTripAppearsWithoutAReload() throws Exception {
        connected();
        String key = "checkout.timeout_ms";
        page.js("window.crossfadeSameDocument = 'yes'");
        // clearly failing new side, healthy old side, well over minSamples whatever the statistic
        HttpResponse<String> posted = sidecar.post("/v1/outcomes", """
                {"outcomes": [{"key": "checkout.timeout_ms", "variant": "new", "ok": 0, "errors": 300},
                              {"key": "checkout.timeout_ms", "variant": "old", "ok": 3000, "errors": 0}]}""");
        assertThat(posted.statusCode()).isEqualTo(202);

        page.awaitCardText(key, ".state", "halted");
        page.awaitCardText(key, ".guard-status", "tripped");
        assertThat(page.cardText(key, ".rates tr.new .errors")).isEqualTo("300");
        assertThat(page.cardText(key, ".rates tr.new .rate")).isEqualTo("100.00 %");
        await().atMost(WAIT).until(() -> page.eventRows().stream().anyMatch(r -> r.contains("guard") && r.contains("halt")
                && r.contains(key)));
        assertThat(page.js("return window.crossfadeSameDocument")).isEqualTo("yes");
        page.scrollTo("article.card[data-key='checkout.timeout_ms']");
        page.viewportScreenshot("05-guard-tripped");
    }

    @Test
    @Order(7)
    void aTrippedCardSaysItsTripOnceInWordsAndOffersOnlyTheActionsThatApply() throws Exception {
        connected();
        String key = "checkout.timeout_ms";
        page.awaitCardText(key, ".guard-status", "tripped");
        JsonNode guard = JSON.readTree(sidecar.adminGet("/admin/v1/migrations/" + key).body()).at("/health/guard");
        String trip = guard.at("/lastTrip/reason").asText();
        assertThat(trip).startsWith("guard tripped: ");
        page.awaitCardText(key, ".last-trip-reason", trip);
        String card = page.card(key).getText();

        // the trip's sentence once, where it belongs, labelled as the values then; the table as now
        assertThat(card.split(java.util.regex.Pattern.quote(trip), -1)).as(card).hasSize(2);
        assertThat(page.cardText(key, ".last-trip-title")).startsWith("At the trip, ").endsWith("the values then, not now");
        assertThat(page.cardText(key, ".rates-label")).isEqualTo("Now: the live window, the last 30s");
        assertThat(page.cardText(key, ".reason")).startsWith("the guard’s trip at ");

        // evidence in words: shares of the way to a halt, never raw 18-digit figures nor field names
        assertThat(card).doesNotContainPattern("[0-9]{7,}");
        String evidence = page.cardText(key, ".evidence");
        assertThat(evidence).contains("New value’s error rate above the 5 % limit")
                .contains("New value failing more often than the old (halts from 2× on)")
                .containsPattern("% of the way to a halt|at the line|past the line")
                .contains("What the guard judges")
                .doesNotContain("maxErrorRate").doesNotContainIgnoringCase("ceiling test");
        // 300 errors in 300 new outcomes: the ceiling's evidence is past its line many times over
        double ceiling = guard.at("/evidence/ceiling").asDouble();
        double line = guard.at("/evidence/threshold").asDouble();
        if (Math.log(ceiling) / Math.log(line) >= 2) {
            assertThat(evidence).containsPattern(
                    "far past the line: (evidence about 10[⁰¹²³⁴⁵⁶⁷⁸⁹]+|overwhelming evidence,) where 10² halts");
        }

        // halted: Resume, Rollback and Set percent apply; Pause and Complete say why not
        WebElement card0 = page.card(key);
        assertThat(ConsolePage.button(card0, "Resume").isEnabled()).isTrue();
        assertThat(ConsolePage.button(card0, "Rollback").isEnabled()).isTrue();
        assertThat(ConsolePage.button(card0, "Set percent").isEnabled()).isTrue();
        assertThat(ConsolePage.button(card0, "Pause").isEnabled()).isFalse();
        assertThat(ConsolePage.button(card0, "Pause").getAttribute("title"))
                .isEqualTo("Only a running migration can be paused; this one is halted.");
        assertThat(ConsolePage.button(card0, "Complete").isEnabled()).isFalse();
        assertThat(ConsolePage.button(card0, "Complete").getAttribute("title")).contains("resume it and set 100 first");
        page.scrollTo("article.card[data-key='checkout.timeout_ms'] .guard");
        page.viewportScreenshot("05b-guard-tripped-in-words");
    }

    @Test
    @Order(8)
    void aMigrationAddedByAReloadAppearsWithoutAPageReload() {
        connected();
        page.js("window.crossfadeSameDocument = 'yes'");
        SettingsFiles.write(settings, "search.yaml", """
                settings:
                  search.results_per_page: { value: 20 }
                migrations:
                  search.results_per_page: { to: 50, percent: 1.5, owner: erin }
                """);
        page.awaitCardText("search.results_per_page", ".percent", "1.500 %");
        assertThat(page.cardText("search.results_per_page", ".owner")).isEqualTo("erin");
        await().atMost(WAIT).until(() -> page.eventRows().stream().anyMatch(r -> r.contains("reload")
                && r.contains("search.results_per_page")));
        assertThat(page.js("return window.crossfadeSameDocument")).isEqualTo("yes");
    }

    @Test
    @Order(9)
    void aStalePageGetsThe412SentenceAndShowsTheCurrentState() throws Exception {
        connected();
        String key = "checkout.banner";
        String seen = page.cardText(key, ".revision");
        page.type(key, "Reason", "more people should see it");
        page.type(key, "Exact percent", "50");

        // another operator pauses it meanwhile; the page shows that live
        HttpResponse<String> other = sidecar.adminPost("/admin/v1/migrations/" + key + "/pause",
                "{\"reason\": \"another operator looks at conversions\"}");
        assertThat(other.statusCode()).isEqualTo(200);
        String now = revision(key);
        page.awaitCardText(key, ".state", "paused");
        page.awaitCardText(key, ".edit-note", "Changed since you started editing");

        page.click(key, "Set percent");
        page.awaitCardText(key, ".card-message", "Someone changed " + key + " since you looked");
        assertThat(page.cardText(key, ".card-message")).contains("revision " + seen).contains("revision " + now);
        assertThat(page.cardText(key, ".revision")).isEqualTo(now);
        assertThat(page.cardText(key, ".percent")).isEqualTo("25.000 %");
        assertThat(revision(key)).isEqualTo(now); // nothing changed
        page.scrollTo("article.card[data-key='checkout.banner'] .guard");
        page.viewportScreenshot("06-stale-page-412");
    }

    @Test
    @Order(10)
    void rollbackAndCompleteAskForConfirmationAndConflictsAreShownInTheSidecarsWords() throws Exception {
        connected();
        String key = "feature.one_click_buy";
        // at 10 % Complete does not apply, and says why
        WebElement complete = ConsolePage.button(page.card(key), "Complete");
        assertThat(complete.isEnabled()).isFalse();
        assertThat(complete.getAttribute("title")).isEqualTo("Complete needs 100 % on the new value; set 100 first.");
        assertThat(ConsolePage.button(page.card(key), "Resume").getAttribute("title")).isEqualTo("Already running.");
        // a page whose state is behind may still offer it: the sidecar's refusal is then shown in its words
        // (enabled and clicked in one step: the next live update disables it again)
        page.js("arguments[0].disabled = false; arguments[0].click()", complete);
        await().atMost(WAIT).until(() -> page.dialog().isDisplayed());
        assertThat(page.dialog().getText()).contains("Complete " + key + "?");
        page.viewportScreenshot("07-confirm-complete");
        ConsolePage.button(page.dialog(), "Complete").click();
        // at 10 % the sidecar refuses with 409; the page shows its sentence as it is
        HttpResponse<String> direct = sidecar.adminPost("/admin/v1/migrations/" + key + "/complete", "{}");
        assertThat(direct.statusCode()).isEqualTo(409);
        String sentence = JSON.readTree(direct.body()).get("message").asText();
        page.awaitCardText(key, ".card-message", sentence);

        page.click(key, "Rollback");
        await().atMost(WAIT).until(() -> page.dialog().isDisplayed());
        ConsolePage.button(page.dialog(), "Cancel").click();
        page.awaitCardText(key, ".card-message", "Rollback cancelled; nothing changed.");
        assertThat(page.cardText(key, ".state")).isEqualTo("running");

        page.click(key, "Rollback");
        await().atMost(WAIT).until(() -> page.dialog().isDisplayed());
        assertThat(page.dialog().getText()).contains("Roll back " + key + "?").contains("false");
        ConsolePage.button(page.dialog(), "Roll back").click();
        page.awaitCardText(key, ".state", "rolled back");
        assertThat(page.cardText(key, ".percent")).isEqualTo("0.000 %");
    }

    // ---- looks ----

    @Test
    @Order(11)
    void theActionsWorkFromTheKeyboardAlone() {
        connected();
        String key = "db.pool.size";
        page.inCard(key, "Reason").sendKeys("keyboard pause");
        // from the reason field: Tab to Set percent, Tab to Pause, Enter
        page.driver().switchTo().activeElement().sendKeys(Keys.TAB);
        assertThat(page.driver().switchTo().activeElement().getText()).isEqualTo("Set percent");
        page.driver().switchTo().activeElement().sendKeys(Keys.TAB);
        assertThat(page.driver().switchTo().activeElement().getText()).isEqualTo("Pause");
        page.driver().switchTo().activeElement().sendKeys(Keys.ENTER);
        page.awaitCardText(key, ".state", "paused");
        await().atMost(WAIT).until(() -> page.eventRows().stream().anyMatch(r -> r.contains("keyboard pause")));
        // Pause no longer applies: the focus moves on to Resume, the next action that does
        await().atMost(WAIT).until(() -> page.driver().switchTo().activeElement().getText().equals("Resume"));
        assertThat(ConsolePage.button(page.card(key), "Pause").isEnabled()).isFalse();
        // Tab on to Rollback; its confirmation opens with the focus on Cancel, and Escape cancels
        page.driver().switchTo().activeElement().sendKeys(Keys.TAB);
        assertThat(page.driver().switchTo().activeElement().getText()).isEqualTo("Rollback");
        page.driver().switchTo().activeElement().sendKeys(Keys.ENTER);
        await().atMost(WAIT).until(() -> page.dialog().isDisplayed());
        assertThat(page.driver().switchTo().activeElement().getText()).isEqualTo("Cancel");
        page.driver().switchTo().activeElement().sendKeys(Keys.ESCAPE);
        page.awaitCardText(key, ".card-message", "Rollback cancelled; nothing changed.");
        assertThat(page.cardText(key, ".state")).isEqualTo("paused");
    }

    @Test
    @Order(12)
    void theLayoutFitsALaptopAndAPhoneWithoutPolicyViolations() {
        connected();
        page.card("feature.one_click_buy");
        // the README's picture: the header and the first row (the paused banner, the tripped timeout)
        page.resize(new Dimension(1280, 1180));
        page.scrollTo("body");
        page.viewportScreenshot("00-readme-tour");
        page.resize(ConsolePage.LAPTOP);
        page.viewportScreenshot("08-laptop-viewport");
        page.screenshot("09-laptop-full");
        page.resize(ConsolePage.PHONE);
        assertThat(((Number) page.js("return document.documentElement.scrollWidth")).intValue())
                .isLessThanOrEqualTo(((Number) page.js("return window.innerWidth")).intValue());
        page.viewportScreenshot("10-phone-top");
        page.scrollTo("article.card[data-key='checkout.timeout_ms'] .guard");
        page.viewportScreenshot("11-phone-guard");
        page.scrollTo("article.card[data-key='checkout.timeout_ms'] .actions");
        page.viewportScreenshot("12-phone-actions");
        page.scrollTo("#events-section");
        page.viewportScreenshot("13-phone-events");
        page.resize(ConsolePage.LAPTOP);
        // every form control has a label
        Object unlabelled = page.js("return Array.from(document.querySelectorAll('input')).filter(i => i.labels.length === 0).length");
        assertThat(unlabelled).isEqualTo(0L);
        List<LogEntry> problems = page.driver().manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue())
                .filter(e -> !e.getMessage().contains("401") && !e.getMessage().contains("409")
                        && !e.getMessage().contains("412") && !e.getMessage().contains("404"))
                .toList();
        assertThat(problems).as("browser console").isEmpty();
        // without a fleet the page never asks for the fleet's instances (it would be a 404 each time)
        assertThat(page.js("return performance.getEntriesByType('resource')"
                + ".filter(e => e.name.indexOf('/admin/v1/instances') >= 0).length")).isEqualTo(0L);
        assertThat(page.driver().findElement(By.id("instances")).getText()).contains("This instance");
    }

    // ---- helpers ----

    private String revision(String key) throws Exception {
        return JSON.readTree(sidecar.adminGet("/admin/v1/migrations/" + key).body()).get("revision").asText();
    }

    private JsonNode readOf(String key, String unit) throws Exception {
        HttpResponse<String> r = sidecar.get("/v1/settings/" + key + "?unit=" + unit);
        assertThat(r.statusCode()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    /** A unit on old at {@code lowThousandths} and on new at {@code highThousandths}. */
    private static String unitBetween(String key, int lowThousandths, int highThousandths) {
        for (int i = 0; ; i++) {
            String unit = "user-" + i;
            if (Bucketing.variant(key, unit, lowThousandths) == Variant.OLD
                    && Bucketing.variant(key, unit, highThousandths) == Variant.NEW) {
                return unit;
            }
        }
    }
}
