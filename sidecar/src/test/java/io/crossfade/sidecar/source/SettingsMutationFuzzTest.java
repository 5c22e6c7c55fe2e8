package io.crossfade.sidecar.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.crossfade.config.SettingsDirectory;
import io.crossfade.config.SettingsException;
import io.crossfade.config.SettingsProblem;
import io.crossfade.config.SettingsSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Settings-file mutation fuzzing with a fixed seed (issue #10's "fuzz that found A and B"): 5 000
 * mutations of the bundled example files — truncations, deleted and duplicated lines, YAML anchors
 * and aliases, huge and tiny numbers, emptied and removed files, random bytes — each judged by the
 * same parser and removal limit the sidecar uses. Every outcome must be either a refusal with
 * located problems, or a set that keeps serving at least half of the settings, declares something
 * in every file, holds only finite numbers and never an alias's name.
 */
@Tag("slow")
class SettingsMutationFuzzTest {

    static final long SEED = 20261201L;
    static final int CASES = 5_000;

    private final SettingsDirectory loader = new SettingsDirectory();

    @Test
    void noMutationServesLessThanTheLastGoodStateOrAWrongValue() throws Exception {
        SortedMap<String, byte[]> original = new TreeMap<>();
        try (var files = Files.list(Path.of("..", "examples", "settings"))) {
            for (Path p : files.toList()) {
                original.put(p.getFileName().toString(), Files.readAllBytes(p));
            }
        }
        SettingsSpec good = loader.parse(original);
        Random random = new Random(SEED);
        int refused = 0;
        int accepted = 0;
        for (int i = 0; i < CASES; i++) {
            SortedMap<String, byte[]> mutated = mutate(original, random);
            SettingsSpec spec;
            try {
                spec = loader.parse(mutated);
            } catch (SettingsException e) {
                assertThat(e.problems()).as("case %d", i).isNotEmpty();
                for (SettingsProblem p : e.problems()) {
                    assertThat(p.reason()).as("case %d", i).isNotBlank();
                }
                refused++;
                continue;
            }
            Optional<SettingsProblem> tooMuch = RemovalLimit.DEFAULT.check(good.settings().keySet(),
                    spec.settings().keySet(), false);
            if (tooMuch.isPresent()) {
                refused++;
                continue;
            }
            accepted++;
            assertThat(spec.settings().size() * 2).as("case %d keeps at least half", i)
                    .isGreaterThanOrEqualTo(good.settings().size());
            for (var s : spec.settings().values()) {
                assertFinite(s.value(), i);
                if (s.value().isTextual()) {
                    // an alias would have been refused, never served as its anchor's name
                    assertThat(new String(mutated.get(s.source()), StandardCharsets.UTF_8))
                            .as("case %d", i).doesNotContain("*" + s.value().asText() + "\n");
                }
            }
        }
        System.out.printf("settings mutation fuzz: %d cases, seed %d: %d refused, %d accepted%n", CASES, SEED, refused,
                accepted);
        assertThat(refused + accepted).isEqualTo(CASES);
        assertThat(refused).isPositive();
        assertThat(accepted).isPositive();
    }

    private static void assertFinite(com.fasterxml.jackson.databind.JsonNode v, int i) {
        if (v.isContainerNode()) {
            v.forEach(c -> assertFinite(c, i));
        } else if (v.isNumber()) {
            assertThat(Double.isFinite(v.doubleValue())).as("case %d: %s", i, v).isTrue();
        }
    }

    static SortedMap<String, byte[]> mutate(Map<String, byte[]> original, Random random) {
        SortedMap<String, byte[]> out = new TreeMap<>(original);
        String name = out.keySet().stream().skip(random.nextInt(out.size())).findFirst().orElseThrow();
        String text = new String(out.get(name), StandardCharsets.UTF_8);
        String[] lines = text.split("\n", -1);
        switch (random.nextInt(12)) {
            case 0 -> text = "";
            case 1 -> text = text.substring(0, random.nextInt(text.length() + 1));
            case 2 -> text = new String[] {"~\n", "---\n", "# nothing\n", "settings:\n", "null\n", "{}"}[random.nextInt(6)];
            case 3 -> {
                out.remove(name);
                return out;
            }
            case 4 -> text = dropLine(lines, random);
            case 5 -> text = text.replaceFirst("value: ([^\\n]+)", "value: &v $1").replaceFirst(
                    "(\\n  [a-z._]+:\\n    value: )[^\\n]+", "$1*v");
            case 6 -> text = text.replaceFirst("value: [0-9]+", "value: " + new String[] {"1e400", "-1e999", "1e-400",
                    "[1, 1e400]", ".inf", ".nan", "1" + "0".repeat(400)}[random.nextInt(7)]);
            case 7 -> text = text + "\n" + text;
            case 8 -> {
                StringBuilder sb = new StringBuilder(text);
                for (int k = 0; k < 1 + random.nextInt(5); k++) {
                    int at = random.nextInt(sb.length() + 1);
                    sb.insert(at, (char) (random.nextInt(95) + 32));
                }
                text = sb.toString();
            }
            case 9 -> {
                byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
                if (bytes.length > 0) {
                    bytes[random.nextInt(bytes.length)] = (byte) random.nextInt(256);
                }
                out.put(name, bytes);
                return out;
            }
            case 10 -> text = "a: &a [*a]\n" + text;
            default -> text = lines.length > 2 ? String.join("\n", java.util.Arrays.copyOf(lines, lines.length / 2)) : "";
        }
        out.put(name, text.getBytes(StandardCharsets.UTF_8));
        return out;
    }

    private static String dropLine(String[] lines, Random random) {
        int drop = random.nextInt(lines.length);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines.length; i++) {
            if (i != drop) {
                sb.append(lines[i]).append(i < lines.length - 1 ? "\n" : "");
            }
        }
        return sb.toString();
    }
}
