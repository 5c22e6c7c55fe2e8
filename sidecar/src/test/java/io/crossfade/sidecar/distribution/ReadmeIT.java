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

    // ---- the sections that start a sidecar run as written (issue 26) ----

    // uvicorn answers an h2c upgrade (the JDK client's default) with 400
    private static final java.net.http.HttpClient HTTP11 = java.net.http.HttpClient.newBuilder()
            .version(java.net.http.HttpClient.Version.HTTP_1_1).connectTimeout(java.time.Duration.ofSeconds(5)).build();

    private static HttpResponse<String> checkout(URI base, String user) throws Exception {
        return HTTP11.send(HttpRequest.newBuilder(base.resolve("/checkout")).header("X-User-Id", user)
                .timeout(java.time.Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String readme() throws Exception {
        return Files.readString(ROOT.resolve("README.md"));
    }

    /** Every fenced block of {@code text}, its shell line continuations joined. */
    static List<String> commandLines(String text) {
        List<String> lines = new ArrayList<>();
        Matcher block = Pattern.compile("```(?:bash|console|sh)\n(.*?)\n```", Pattern.DOTALL).matcher(text);
        while (block.find()) {
            for (String line : block.group(1).replace("\\\n", " ").split("\n")) {
                lines.add(line.strip().replaceFirst("^\\$ ", ""));
            }
        }
        return lines;
    }

    /** A command line split as a shell would (quotes, no expansions); a trailing {@code &} dropped. */
    static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        Matcher m = Pattern.compile("'([^']*)'|\"([^\"]*)\"|(\\S+)").matcher(line);
        while (m.find()) {
            words.add(m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3));
        }
        if (!words.isEmpty() && words.get(words.size() - 1).equals("&")) {
            words.remove(words.size() - 1);
        }
        return words;
    }

    @Test
    void everySidecarTheReadmeStartsRunsThroughTheLauncherAndEachSectionHasItsOwnState() throws Exception {
        String readme = readme();
        Map<String, String> stateOfSection = new java.util.LinkedHashMap<>();
        for (String part : readme.split("\n## ")) {
            String heading = part.substring(0, part.indexOf('\n'));
            for (String line : commandLines(part)) {
                if (!line.contains("crossfade serve")) {
                    continue;
                }
                assertThat(line).as("in '%s': a command a fresh clone can run", heading)
                        .containsPattern("(^|\\s)bin/crossfade serve");
                List<String> words = words(line);
                int state = words.indexOf("--state");
                if (heading.equals("Two commands")) {
                    continue; // the quick start: the default ./.crossfade-state is its own
                }
                assertThat(state).as("in '%s': %s passes its own --state", heading, line).isPositive();
                String dir = words.get(state + 1);
                String earlier = stateOfSection.putIfAbsent(dir, heading);
                assertThat(earlier == null || earlier.equals(heading))
                        .as("--state %s of '%s' is also '%s''s", dir, heading, earlier).isTrue();
                assertThat(dir).as("not the quick start's state").isNotIn("./.crossfade-state", ".crossfade-state");
            }
        }
        assertThat(stateOfSection.values()).contains("Beside a FastAPI service", "Proxy mode", "Running a fleet");
    }

    @Test
    void everyExampleThatHaltsSaysToRollBackAndWhyTheNewUnitsStillFailUntilThen() throws Exception {
        String fastApi = section(readme(), "Beside a FastAPI service").replaceAll("\\s+", " ");
        assertThat(fastApi).contains("bin/crossfade ctl --state ./.crossfade-state-fastapi rollback checkout.price_format")
                .contains("the users already on the new value").contains("keep failing");
        String guard = section(readme(), "The guard and ramps").replaceAll("\\s+", " ");
        assertThat(guard).contains("What to do after a halt").contains("crossfade ctl rollback KEY")
                .contains("already on the new value");
        assertThat(Files.readString(ROOT.resolve("examples/fastapi/README.md")).replaceAll("\\s+", " "))
                .contains("ctl --state /tmp/cf-state rollback checkout.price_format").contains("keep failing");
    }

    @Test
    void bucketingNamesTheFlagdReleaseWhoseFractionalItEquals() throws Exception {
        assertThat(Files.readString(ROOT.resolve("docs/bucketing.md"))).contains("flagd v0.15.0")
                .contains("open-feature/flagd#1909");
    }

    /** The direct form's snippet is a whole app: run as it stands, beside a sidecar, it serves checkout. */
    @Test
    @org.junit.jupiter.api.Tag("slow") // needs Debian's FastAPI (as FastApiExampleIT)
    void theFastApiDirectSnippetIsACompleteAppThatRuns() throws Exception {
        String fastApi = section(readme(), "Beside a FastAPI service");
        String direct = fastApi.substring(fastApi.indexOf("**Direct (no proxy).**"));
        String app = fencedBlock(direct, "python");
        assertThat(app.lines()).as("no elided lines").noneMatch(l -> l.strip().equals("...") || l.strip().equals("…"));
        assertThat(commandLines(direct)).anyMatch(l -> l.contains("uvicorn direct_app:app"))
                .anyMatch(l -> l.startsWith("bin/crossfade serve --settings examples/fastapi/settings --state "));

        Path settings = temp.resolve("settings");
        SettingsFiles.copyDirectory(ROOT.resolve("examples/fastapi/settings"), settings);
        try (SidecarProcess sidecar = SidecarProcess.start(settings, temp.resolve("state"))) {
            Path appDir = Files.createDirectories(temp.resolve("app"));
            Files.writeString(appDir.resolve("readme_direct.py"),
                    app.replace("http://127.0.0.1:7070", sidecar.readUri().toString()));
            try (io.crossfade.sidecar.proxy.PythonApp running = io.crossfade.sidecar.proxy.PythonApp.start(
                    "readme_direct", appDir, "/checkout", Map.of(), temp)) {
                HttpResponse<String> page = checkout(running.uri(), "user-42");
                assertThat(page.statusCode()).as(page.body()).isEqualTo(200);
                assertThat(ApiAnswers.json(page.body()).path("total").asText()).isEqualTo("16.49");
                assertThat(ApiAnswers.json(page.body()).path("banner").asText()).isEqualTo("Free shipping over 50 EUR");
            }
        }
    }

    /**
     * The proxied form's commands, as the README gives them (ports and directories swapped for the
     * test's), through the halt and the rollback the README tells the reader to run.
     */
    @Test
    @org.junit.jupiter.api.Tag("slow") // a real FastAPI app and 200 users' requests until the guard halts
    void theFastApiProxiedCommandsRunAsWrittenThroughTheHaltAndTheRollback() throws Exception {
        String fastApi = section(readme(), "Beside a FastAPI service");
        List<String> lines = commandLines(fastApi.substring(0, fastApi.indexOf("**Direct (no proxy).**")));
        List<String> serve = words(lines.stream().filter(l -> l.startsWith("bin/crossfade serve")).findFirst()
                .orElseThrow());
        assertThat(serve).containsSequence("--settings", "examples/fastapi/settings")
                .containsSequence("--state", "./.crossfade-state-fastapi");
        Path settings = temp.resolve("settings");
        SettingsFiles.copyDirectory(ROOT.resolve("examples/fastapi/settings"), settings);

        String appCommand = lines.stream().filter(l -> l.contains("uvicorn")).findFirst().orElseThrow();
        String module = words(appCommand).get(words(appCommand).indexOf("-m") + 2).split(":")[0];
        try (io.crossfade.sidecar.proxy.PythonApp app = io.crossfade.sidecar.proxy.PythonApp.start(module,
                Map.of(), temp)) {
            // the README's flags after --state, with the test's proxy port and the app's
            List<String> extra = new ArrayList<>(serve.subList(serve.indexOf("--state") + 2, serve.size()));
            extra.set(extra.indexOf("--proxy-listen") + 1, "127.0.0.1:0");
            extra.set(extra.indexOf("--upstream") + 1, app.uri().toString());
            try (SidecarProcess sidecar = SidecarProcess.start(settings, temp.resolve("state"),
                    extra.toArray(String[]::new))) {
                URI proxy = io.crossfade.sidecar.proxy.ProxyAddress.of(sidecar);
                ctlAsWritten(sidecar, lines.stream().filter(l -> l.contains("ctl") && l.contains(" set ")).findFirst()
                        .orElseThrow());
                org.awaitility.Awaitility.await("the guard to halt").atMost(java.time.Duration.ofSeconds(120))
                        .until(() -> {
                            for (int u = 0; u < 200; u++) {
                                checkout(proxy, "user-" + u);
                            }
                            return ctlAsWritten(sidecar, "bin/crossfade ctl --state x status").contains("halted");
                        });
                // a user on the new value still fails while halted, as the README says...
                String onNew = null;
                for (int u = 0; u < 200 && onNew == null; u++) {
                    if (ApiAnswers.json(sidecar.get("/v1/settings/checkout.price_format?unit=user-" + u))
                            .path("variant").asText().equals("new")) {
                        onNew = "user-" + u;
                    }
                }
                assertThat(onNew).isNotNull();
                assertThat(checkout(proxy, onNew).statusCode()).isEqualTo(500);
                // ...until the README's rollback
                Matcher rollback = Pattern.compile("`(bin/crossfade ctl [^`]* rollback [^`]*)`").matcher(fastApi);
                assertThat(rollback.find()).isTrue();
                ctlAsWritten(sidecar, rollback.group(1));
                assertThat(checkout(proxy, onNew).statusCode()).isEqualTo(200);
            }
        }
    }

    /** Runs a README {@code bin/crossfade ctl ...} line against {@code sidecar} (its --state swapped); exit 0. */
    private static String ctlAsWritten(SidecarProcess sidecar, String line) {
        List<String> words = new ArrayList<>(words(line));
        assertThat(words.subList(0, 2)).isEqualTo(List.of("bin/crossfade", "ctl"));
        words = new ArrayList<>(words.subList(2, words.size()));
        int state = words.indexOf("--state");
        if (state >= 0) {
            words.remove(state + 1);
            words.remove(state);
        }
        SidecarProcess.Result r = sidecar.ctl(words.toArray(String[]::new));
        assertThat(r.exitCode()).as("%s: %s", line, r.output()).isZero();
        return r.output();
    }
}
