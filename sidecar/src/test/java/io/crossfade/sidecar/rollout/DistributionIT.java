package io.crossfade.sidecar.rollout;

import static io.crossfade.sidecar.testing.ApiAnswers.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.config.Bucketing;
import io.crossfade.config.Variant;
import io.crossfade.sidecar.testing.BulkReads;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The blend over HTTP: for a migration at P %, the share of 100 000 distinct units reading
 * {@code new} is within ±0.5 points of P, every unit gets exactly the variant of the design's
 * bucketing rule, and every unit keeps its variant across a restart on the same state directory.
 */
class DistributionIT {

    private static final int UNITS = 100_000;

    /** A migration: key, salt, percent in thousandths, and its old and new values as served JSON. */
    record Migration(String key, String salt, int percent, String oldBody, String newBody) {
    }

    private static final List<Migration> MIGRATIONS = List.of(
            new Migration("rollout.quarter", "rollout.quarter", 25_000, "\"old\"", "\"new\""),
            new Migration("rollout.fine", "fine-salt-v1", 12_345, "1", "2"));

    private static final String SETTINGS = """
            settings:
              rollout.quarter:
                value: old
              rollout.fine:
                value: 1
            migrations:
              rollout.quarter:
                to: new
                percent: 25
              rollout.fine:
                to: 2
                percent: 12.345
                salt: fine-salt-v1
            """;

    @TempDir
    Path settings;
    @TempDir
    Path state;

    static String unit(int i) {
        return "unit-" + i;
    }

    @Test
    void sharesMatchThePercentEveryUnitFollowsTheRuleAndKeepsItsSideAcrossARestart() throws Exception {
        SettingsFiles.write(settings, "rollout.yaml", SETTINGS);
        // variants[m][i]: 1 old, 2 new, as first served
        AtomicIntegerArray[] variants = {new AtomicIntegerArray(UNITS), new AtomicIntegerArray(UNITS)};
        String instanceVariantBefore;

        try (SidecarProcess sidecar = SidecarProcess.start(settings, state);
                BulkReads reads = new BulkReads(sidecar.readUri())) {
            for (int m = 0; m < MIGRATIONS.size(); m++) {
                Migration migration = MIGRATIONS.get(m);
                AtomicIntegerArray served = variants[m];
                ConcurrentLinkedQueue<String> wrong = new ConcurrentLinkedQueue<>();
                reads.run(UNITS, i -> "/v1/settings/" + migration.key() + "/value?unit=" + unit(i), answer -> {
                    Variant expected = Bucketing.variant(migration.salt(), unit(answer.index()), migration.percent());
                    String expectedBody = expected == Variant.NEW ? migration.newBody() : migration.oldBody();
                    if (answer.status() != 200 || !expected.wireName().equals(answer.variant())
                            || !expectedBody.equals(answer.body())) {
                        wrong.add(unit(answer.index()) + " got " + answer);
                    }
                    served.set(answer.index(), "new".equals(answer.variant()) ? 2 : 1);
                });

                assertThat(wrong).as("units answered other than Bucketing.variant for %s", migration.key()).isEmpty();
                long onNew = countNew(served);
                double share = 100.0 * onNew / UNITS;
                assertThat(share).as("share of units on new for %s at %s %%", migration.key(), migration.percent() / 1000.0)
                        .isBetween(migration.percent() / 1000.0 - 0.5, migration.percent() / 1000.0 + 0.5);
            }
            instanceVariantBefore = json(sidecar.get("/v1/settings/rollout.quarter")).path("variant").asText();
            sidecar.stop();
        }
        assertThat(state.resolve("instance.id")).as("the generated instance id is kept").exists();

        try (SidecarProcess restarted = SidecarProcess.start(settings, state);
                BulkReads reads = new BulkReads(restarted.readUri())) {
            ConcurrentLinkedQueue<String> moved = new ConcurrentLinkedQueue<>();
            reads.run(UNITS, i -> "/v1/settings?prefix=rollout.&unit=" + unit(i), answer -> {
                JsonNode listed = json(answer.body()).path("settings");
                for (int m = 0; m < MIGRATIONS.size(); m++) {
                    int now = "new".equals(listed.path(MIGRATIONS.get(m).key()).path("variant").asText()) ? 2 : 1;
                    if (now != variants[m].get(answer.index())) {
                        moved.add(unit(answer.index()) + " on " + MIGRATIONS.get(m).key());
                    }
                }
            });

            assertThat(moved).as("units whose side changed across the restart").isEmpty();
            assertThat(json(restarted.get("/v1/settings/rollout.quarter")).path("variant").asText())
                    .as("the instance's own side (no unit)").isEqualTo(instanceVariantBefore);
            assertThat(Files.readString(state.resolve("instance.id")).trim()).startsWith("instance-");
        }
    }

    private static long countNew(AtomicIntegerArray served) {
        long n = 0;
        for (int i = 0; i < served.length(); i++) {
            assertThat(served.get(i)).as("unit %d answered", i).isNotZero();
            n += served.get(i) == 2 ? 1 : 0;
        }
        return n;
    }
}
