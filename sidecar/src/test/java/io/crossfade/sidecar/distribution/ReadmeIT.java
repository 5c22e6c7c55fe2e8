package io.crossfade.sidecar.distribution;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.crossfade.config.SettingsDirectory;
import io.crossfade.config.SettingsSpec;
import io.crossfade.sidecar.testing.ApiAnswers;
import io.crossfade.sidecar.testing.SettingsFiles;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README stays true: its curl session, replayed in order against the jar serving a copy of
 * {@code examples/settings}, answers what the README shows, and its example settings file is valid.
 * Where the README shows a value that changes from run to run (a snapshot version, a time, a path)
 * it writes {@code …} in strings; snapshot version numbers are compared as numbers of any value.
 */
class ReadmeIT {

    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern CURL = Pattern.compile(
            "curl -s (?:'([^']+)'|(\\S+))((?:\\s+-H\\s+'[^']+')*)(?:\\s*\\|\\s*grep\\s+(?:'([^']+)'|(\\S+)))?\\s*");
    private static final Pattern HEADER = Pattern.compile("-H\\s+'([^:]+):\\s*([^']*)'");

    @TempDir
    Path temp;

    /** One {@code $ curl ...} of the session (with a {@code grep} pattern when piped) and the lines shown after it. */
    record Step(String command, String url, List<String[]> headers, String grep, List<String> shown) {
    }

    static String section(String readme, String heading) {
        int start = readme.indexOf("\n## " + heading + "\n");
        assertThat(start).as("README section '%s'", heading).isNotNegative();
        int end = readme.indexOf("\n## ", start + 1);
        return readme.substring(start, end < 0 ? readme.length() : end);
    }

    static String fencedBlock(String section, String language) {
        int start = section.indexOf("```" + language + "\n");
        assertThat(start).as("a ```%s block", language).isNotNegative();
        start += language.length() + 4;
        return section.substring(start, section.indexOf("\n```", start));
    }

    static List<Step> curlSession() throws Exception {
        String block = fencedBlock(section(Files.readString(ROOT.resolve("README.md")), "A curl session"), "console");
        List<Step> steps = new ArrayList<>();
        Iterator<String> lines = Arrays.asList(block.split("\n")).iterator();
        String command = null;
        List<String> shown = new ArrayList<>();
        while (true) {
            String line = lines.hasNext() ? lines.next() : null;
            if (line == null || line.startsWith("$ ")) {
                if (command != null) {
                    Matcher m = CURL.matcher(command);
                    assertThat(m.matches()).as("a curl command this test understands: %s", command).isTrue();
                    List<String[]> headers = new ArrayList<>();
                    Matcher h = HEADER.matcher(m.group(3));
                    while (h.find()) {
                        headers.add(new String[] {h.group(1), h.group(2)});
                    }
                    steps.add(new Step(command, m.group(1) != null ? m.group(1) : m.group(2), headers,
                            m.group(4) != null ? m.group(4) : m.group(5), List.copyOf(shown)));
                }
                if (line == null) {
                    return steps;
                }
                command = line.substring(2);
                shown.clear();
            } else if (!line.isBlank()) {
                shown.add(line);
            }
        }
    }

    /**
     * The bundled examples as committed, not as a reader may have edited them (the README invites
     * that): each file of {@code examples/settings} at git's {@code HEAD}. Outside a git checkout
     * (an unpacked source archive, say) the files on disk are all there is.
     */
    static Path pristineExamples(Path target) throws Exception {
        Files.createDirectories(target);
        Process list = new ProcessBuilder("git", "-C", ROOT.toString(), "ls-tree", "--name-only", "HEAD",
                "examples/settings/").redirectErrorStream(true).start();
        List<String> files = new String(list.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        if (list.waitFor() != 0 || files.isEmpty()) {
            SettingsFiles.copyDirectory(ROOT.resolve("examples/settings"), target);
            return target;
        }
        for (String file : files) {
            Process show = new ProcessBuilder("git", "-C", ROOT.toString(), "show", "HEAD:" + file).start();
            byte[] content = show.getInputStream().readAllBytes();
            assertThat(show.waitFor()).as("git show HEAD:%s", file).isZero();
            Files.write(target.resolve(Path.of(file).getFileName().toString()), content);
        }
        return target;
    }

    @Test
    void theCurlSessionAnswersWhatTheReadmeShows() throws Exception {
        List<Step> steps = curlSession();
        assertThat(steps).hasSizeGreaterThanOrEqualTo(4);
        Path examples = pristineExamples(temp.resolve("examples").resolve("settings"));

        try (SidecarProcess sidecar = SidecarProcess.start(examples, temp.resolve("state"))) {
            for (Step step : steps) {
                URI uri = URI.create("http://" + step.url()
                        .replace("localhost:7070", sidecar.readUri().getAuthority())
                        .replace("localhost:7071", sidecar.opsUri().getAuthority()));
                HttpRequest.Builder request = HttpRequest.newBuilder(uri);
                for (String[] h : step.headers()) {
                    request.header(h[0], h[1]);
                }
                HttpResponse<String> answer = SidecarProcess.send(request.build());
                assertThat(answer.statusCode()).as(step.command()).isEqualTo(200);

                if (step.grep() != null) {
                    Pattern grep = Pattern.compile(step.grep());
                    List<String> printed = answer.body().lines().filter(l -> grep.matcher(l).find()).toList();
                    assertThat(printed).as(step.command()).containsExactlyInAnyOrderElementsOf(step.shown());
                } else {
                    assertThat(step.shown()).as("the output shown for %s", step.command()).hasSize(1);
                    List<String> mismatches = new ArrayList<>();
                    compare("", ApiAnswers.json(step.shown().get(0)), ApiAnswers.json(answer.body()), mismatches);
                    assertThat(mismatches).as("%s answered %s", step.command(), answer.body()).isEmpty();
                }
            }
        }
    }

    /** The README's JSON {@code shown} against the real answer; differences go to {@code mismatches}. */
    private static void compare(String path, JsonNode shown, JsonNode real, List<String> mismatches) {
        if (shown.isObject()) {
            if (!real.isObject()) {
                mismatches.add(path + ": shown an object, got " + real);
                return;
            }
            List<String> shownNames = new ArrayList<>();
            shown.fieldNames().forEachRemaining(shownNames::add);
            List<String> realNames = new ArrayList<>();
            real.fieldNames().forEachRemaining(realNames::add);
            if (!new java.util.TreeSet<>(shownNames).equals(new java.util.TreeSet<>(realNames))) {
                mismatches.add(path + ": shown fields " + shownNames + ", got " + realNames);
                return;
            }
            for (String name : shownNames) {
                compare(path + "." + name, shown.get(name), real.get(name), mismatches);
            }
        } else if (shown.isTextual() && shown.asText().contains("…")) {
            String pattern = Arrays.stream(shown.asText().split("…", -1)).map(Pattern::quote)
                    .reduce((a, b) -> a + ".*" + b).orElse("");
            if (!real.isTextual() || !real.asText().matches(pattern)) {
                mismatches.add(path + ": shown " + shown + ", got " + real);
            }
        } else if (path.endsWith(".version") && shown.isIntegralNumber()) {
            if (!real.isIntegralNumber()) {
                mismatches.add(path + ": shown a snapshot version number, got " + real);
            }
        } else if (shown.isNumber() && real.isNumber()) {
            if (shown.decimalValue().compareTo(real.decimalValue()) != 0) {
                mismatches.add(path + ": shown " + shown + ", got " + real);
            }
        } else if (!shown.equals(real)) {
            mismatches.add(path + ": shown " + shown + ", got " + real);
        }
    }

    @Test
    void theSettingsFormatExampleIsAValidSettingsFile() throws Exception {
        String yaml = fencedBlock(section(Files.readString(ROOT.resolve("README.md")), "Settings files"), "yaml");

        SettingsSpec spec = new SettingsDirectory().parse(Map.of("readme.yaml", yaml.getBytes(StandardCharsets.UTF_8)));

        assertThat(spec.settings()).containsKey("db.pool.size");
        assertThat(spec.migrations().get("db.pool.size").steps()).hasSize(4);
    }
}
