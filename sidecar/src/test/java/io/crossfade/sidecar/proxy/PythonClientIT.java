package io.crossfade.sidecar.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.crossfade.sidecar.testing.SidecarProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code crossfade} Python package's pytest suites ({@code clients/python/tests}), run by Debian's
 * {@code /usr/bin/python3} so that the Maven build covers them: the unit tests in the default build,
 * the integration tests (which start this build's sidecar jar, and install the package offline into
 * a virtual environment) with {@code -Pslow}. Each test fails with pytest's own report.
 */
class PythonClientIT {

    @TempDir
    Path work;

    @Test
    void thePackagesUnitTestsPass() throws Exception {
        pytest("tests/unit", 5);
    }

    @Test
    @Tag("slow") // several sidecars, 50 000 reads and a FastAPI app: minutes on a loaded machine
    void thePackagesIntegrationTestsAgainstTheRealSidecarPass() throws Exception {
        pytest("tests/integration", 20);
    }

    private void pytest(String tests, int minutes) throws IOException, InterruptedException {
        Path client = PythonApp.exampleDir().resolve("../../clients/python").normalize();
        Path log = work.resolve("pytest.log");
        ProcessBuilder pb = new ProcessBuilder(List.of("/usr/bin/python3", "-m", "pytest", "-p", "no:cacheprovider",
                "-rA", tests)).directory(client.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("CROSSFADE_JAR", SidecarProcess.jar().toString());
        pb.environment().put("CROSSFADE_REQUIRE_SIDECAR", "1"); // a missing jar fails, never skips
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
        Process process = pb.start();
        if (!process.waitFor(minutes, TimeUnit.MINUTES)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError("pytest " + tests + " did not finish within " + minutes + " minutes:\n"
                    + Files.readString(log));
        }
        String output = Files.readString(log);
        // pytest's exit 5 means it collected nothing: a suite that tests nothing must not pass
        assertThat(process.exitValue()).as("pytest %s in %s exited %d%s:%n%s", tests, client, process.exitValue(),
                process.exitValue() == 5 ? " (no tests collected)" : "", output).isZero();
    }
}
