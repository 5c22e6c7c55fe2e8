package io.crossfade.sidecar.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.crossfade.sidecar.testing.EtcdCluster;
import io.crossfade.sidecar.testing.FleetSidecars;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;

/**
 * The console of a fleet, in headless Chromium: two sidecars on one real etcd, each with its own
 * page. Each page lists both instances, a change made on one page shows on the other sidecar's page
 * without a reload, and an etcd outage shows as the store's disconnected state in words.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleFleetIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final String TOKEN = "fleet-console-token-0123456789abcdef";
    private static final String KEY = "db.pool.size";
    private static final String FILES = """
            settings:
              db.pool.size: { value: 10 }
            migrations:
              db.pool.size: { to: 20, percent: 5, owner: alice }
            """;

    private Path dir;
    private EtcdCluster etcd;
    private SidecarProcess a;
    private SidecarProcess b;
    private ConsolePage pageA;
    private ConsolePage pageB;

    @BeforeAll
    void start() throws Exception {
        String missing = ConsolePage.missingBrowser();
        if (missing != null) {
            assertThat("required".equals(System.getProperty("crossfade.browser"))).as(missing).isFalse();
            Assumptions.abort(missing);
        }
        Assumptions.assumeTrue(EtcdCluster.available(), "etcd is not installed (apt-get install etcd-server)");
        dir = Files.createTempDirectory("crossfade-console-fleet-");
        etcd = EtcdCluster.start(dir.resolve("etcd"), 1);
        FleetSidecars fleet = new FleetSidecars("console", FILES, etcd.endpoints())
                .withAdminToken(FleetSidecars.adminTokenFile(dir.resolve("admin.token"), TOKEN));
        a = fleet.start(dir.resolve("a"), "sidecar-a");
        b = fleet.start(dir.resolve("b"), "sidecar-b");
        pageA = ConsolePage.start(a.opsUri());
        pageB = ConsolePage.start(b.opsUri());
        for (ConsolePage page : new ConsolePage[] {pageA, pageB}) {
            page.openFresh();
            page.enterToken(TOKEN);
            page.card(KEY);
        }
    }

    @AfterAll
    void stop() {
        for (AutoCloseable c : new AutoCloseable[] {pageA, pageB, a, b, etcd}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                // go on closing the rest
            }
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (java.io.IOException e) {
                // a temporary directory: left for the system to clean
            }
        }
    }

    private static String instances(ConsolePage page) {
        return page.driver().findElement(By.id("instances")).getText();
    }

    private static String store(ConsolePage page) {
        return page.driver().findElement(By.id("store")).getText();
    }

    @Test
    @Order(1)
    void eachPageListsTheFleetsInstancesAndTheConnectedStore() {
        for (ConsolePage page : new ConsolePage[] {pageA, pageB}) {
            await().atMost(WAIT).ignoreExceptions().until(() -> instances(page).contains("sidecar-a")
                    && instances(page).contains("sidecar-b"));
            await().atMost(WAIT).ignoreExceptions().until(() -> store(page).startsWith("Fleet store connected: etcd at "));
            assertThat(store(page)).contains("fleet console");
        }
        pageA.viewportScreenshot("fleet-01-instances");
    }

    @Test
    @Order(2)
    void aChangeMadeOnOnePageShowsOnTheOtherSidecarsPage() {
        pageA.type(KEY, "Reason", "half the fleet");
        pageA.type(KEY, "Exact percent", "40");
        pageA.click(KEY, "Set percent");
        pageA.awaitCardText(KEY, ".percent", "40.000 %");

        pageB.js("window.crossfadeSameDocument = 'yes'");
        await().atMost(WAIT).ignoreExceptions().until(() -> pageB.cardText(KEY, ".percent").equals("40.000 %"));
        assertThat(pageB.cardText(KEY, ".reason")).isEqualTo("half the fleet");
        await().atMost(WAIT).until(() -> pageB.eventRows().stream().anyMatch(r -> r.contains("half the fleet")
                && r.contains("@ sidecar-a")));
        assertThat(pageB.js("return window.crossfadeSameDocument")).isEqualTo("yes");
        pageB.viewportScreenshot("fleet-02-change-from-the-other-page");
    }

    @Test
    @Order(3)
    void anEtcdOutageShowsAsTheStoreDisconnectedInWords() throws Exception {
        etcd.kill(0);

        await().atMost(WAIT).ignoreExceptions().until(() -> store(pageB).startsWith("Fleet store disconnected: "));
        String sentence = store(pageB);
        assertThat(sentence).contains("cannot be reached since").contains("operator changes are refused until it is back")
                .doesNotContainPattern("[A-Z][a-z]+Exception");
        assertThat(pageB.driver().findElement(By.id("store")).getAttribute("data-tone")).isEqualTo("bad");
        // reads go on: the card still shows the fleet's last state
        assertThat(pageB.cardText(KEY, ".percent")).isEqualTo("40.000 %");
        pageB.viewportScreenshot("fleet-03-store-disconnected");

        etcd.startMember(0);
        await().atMost(WAIT).ignoreExceptions().until(() -> store(pageB).startsWith("Fleet store connected: "));
    }
}
