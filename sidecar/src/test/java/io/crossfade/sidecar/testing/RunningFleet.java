package io.crossfade.sidecar.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real etcd (a single member) and three real sidecars of one fleet on it, instances
 * {@code sidecar-a}, {@code sidecar-b} and {@code sidecar-c}, started through {@link FleetSidecars}
 * with one admin token for them all, shared by the tests of a class: started before the first test
 * and stopped (their directory removed) after the last. Where etcd is not installed the class is
 * skipped, not failed. Register it on a static field:
 * <pre>{@code
 * @RegisterExtension
 * static final RunningFleet fleet = RunningFleet.of("checkout", FILES, "fleet-token-0123456789abcdef");
 * }</pre>
 */
public final class RunningFleet implements BeforeAllCallback, AfterAllCallback {

    private static final List<String> NAMES = List.of("a", "b", "c");

    private final String fleet;
    private final String files;
    private final String adminToken;
    private final List<SidecarProcess> sidecars = new ArrayList<>();
    private Path dir;
    private EtcdCluster etcd;

    private RunningFleet(String fleet, String files, String adminToken) {
        this.fleet = fleet;
        this.files = files;
        this.adminToken = adminToken;
    }

    /**
     * @param fleet the {@code --fleet} name
     * @param files the settings file every sidecar loads
     * @param adminToken the admin token of every sidecar, as one Kubernetes Secret mounted into every pod would be
     */
    public static RunningFleet of(String fleet, String files, String adminToken) {
        return new RunningFleet(fleet, files, adminToken);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws IOException {
        Assumptions.assumeTrue(EtcdCluster.available(), "etcd is not installed (apt-get install etcd-server)");
        dir = Files.createTempDirectory("crossfade-fleet-");
        etcd = EtcdCluster.start(dir.resolve("etcd"), 1);
        FleetSidecars starter = new FleetSidecars(fleet, files, etcd.endpoints()).withAdminToken(
                FleetSidecars.adminTokenFile(dir.resolve("admin.token"), adminToken));
        for (String name : NAMES) {
            sidecars.add(starter.start(dir.resolve(name), "sidecar-" + name));
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            sidecars.forEach(SidecarProcess::close);
            if (etcd != null) {
                etcd.close();
            }
        } finally {
            RunningSidecar.deleteTree(dir);
        }
    }

    /** The etcd the fleet shares. */
    public EtcdCluster etcd() {
        return etcd;
    }

    /** The three sidecars, {@code sidecar-a} first; the list cannot be changed. */
    public List<SidecarProcess> sidecars() {
        return Collections.unmodifiableList(sidecars);
    }
}
