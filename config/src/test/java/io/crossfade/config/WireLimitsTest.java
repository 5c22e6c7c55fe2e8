package io.crossfade.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WireLimitsTest {

    private static boolean overByEncoding(String unit) {
        return unit.getBytes(StandardCharsets.UTF_8).length > WireLimits.MAX_UNIT_BYTES;
    }

    @Test
    void unitLimitCountsBytesAsGetBytesEncodesThem() {
        String[] pieces = {"a", "é", "€", "😀", "\ud83d", "\ude00"};
        Random random = new Random(11);
        for (int i = 0; i < 20_000; i++) {
            StringBuilder unit = new StringBuilder();
            int chars = 60 + random.nextInt(220);
            while (unit.length() < chars) {
                unit.append(pieces[random.nextInt(pieces.length)]);
            }
            String u = unit.toString();
            assertThat(WireLimits.unitTooLong(u)).as("%d chars", u.length()).isEqualTo(overByEncoding(u));
        }
    }

    @Test
    void unitLimitIsExactlyTwoHundredFiftySixBytes() {
        assertThat(WireLimits.unitTooLong("a".repeat(256))).isFalse();
        assertThat(WireLimits.unitTooLong("a".repeat(257))).isTrue();
        assertThat(WireLimits.unitTooLong("€".repeat(85) + "a")).isFalse(); // 256 bytes in 86 chars
        assertThat(WireLimits.unitTooLong("€".repeat(85) + "é")).isTrue();  // 257 bytes
        assertThat(WireLimits.unitTooLong("😀".repeat(64))).isFalse();     // 256 bytes in 128 chars
        assertThat(WireLimits.unitTooLong("😀".repeat(64) + "a")).isTrue();
    }
}
