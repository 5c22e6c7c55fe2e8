package io.crossfade.sidecar;

import io.crossfade.sidecar.fleet.FleetOptions;
import java.nio.file.Path;
import java.util.Objects;

/**
 * How to run one sidecar, as the {@code serve} flags give it.
 *
 * @param settingsDir directory of settings files
 * @param stateDir durable state directory
 * @param listen read API address
 * @param listenUnix Unix domain socket for the read API, or null
 * @param opsListen health, metrics and admin address
 * @param adminTokenFile file holding the admin token, or null to generate one into the state dir
 * @param instanceId the unit for reads without one, or null to derive it
 * @param fleet the fleet store ({@code --store etcd}), or null to keep migration state in {@code stateDir}
 */
public record SidecarOptions(Path settingsDir, Path stateDir, HostPort listen, Path listenUnix, HostPort opsListen,
        Path adminTokenFile, String instanceId, FleetOptions fleet) {

    /** A sidecar that keeps its migration state in its own state directory. */
    public SidecarOptions(Path settingsDir, Path stateDir, HostPort listen, Path listenUnix, HostPort opsListen,
            Path adminTokenFile, String instanceId) {
        this(settingsDir, stateDir, listen, listenUnix, opsListen, adminTokenFile, instanceId, null);
    }

    public SidecarOptions {
        Objects.requireNonNull(settingsDir, "settingsDir");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(opsListen, "opsListen");
    }
}
