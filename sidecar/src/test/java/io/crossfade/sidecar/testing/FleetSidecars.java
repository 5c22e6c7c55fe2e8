package io.crossfade.sidecar.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts real sidecar processes of one fleet on etcd, as the fleet tests do: each in a home
 * directory of its own, with its settings files in {@code <home>/settings/s.yaml} and its state in
 * {@code <home>/state}, started with {@code --store etcd --etcd-endpoints … --fleet … --instance-id …}.
 * Immutable; {@link #via} and {@link #withAdminToken} return a changed copy.
 */
public final class FleetSidecars {

    private final String fleet;
    private final String files;
    private final String endpoints;
    private final Path adminToken;

    /**
     * @param fleet the {@code --fleet} name
     * @param files the settings file every sidecar loads
     * @param endpoints the {@code --etcd-endpoints}
     */
    public FleetSidecars(String fleet, String files, String endpoints) {
        this(fleet, files, endpoints, null);
    }

    private FleetSidecars(String fleet, String files, String endpoints, Path adminToken) {
        this.fleet = fleet;
        this.files = files;
        this.endpoints = endpoints;
        this.adminToken = adminToken;
    }

    /** The same fleet reached through other endpoints, e.g. a relay the test can cut. */
    public FleetSidecars via(String otherEndpoints) {
        return new FleetSidecars(fleet, files, otherEndpoints, adminToken);
    }

    /**
     * Every sidecar started from the copy gets {@code --admin-token-file tokenFile}, and a copy of it in
     * its state directory, where {@link SidecarProcess#adminToken()} reads it.
     */
    public FleetSidecars withAdminToken(Path tokenFile) {
        return new FleetSidecars(fleet, files, endpoints, tokenFile);
    }

    /**
     * Writes {@code token} to {@code file}, readable by its owner only: one admin token for the whole
     * fleet, as a Kubernetes Secret mounted into every pod would be.
     */
    public static Path adminTokenFile(Path file, String token) throws IOException {
        Files.writeString(file, token + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    /**
     * Writes the settings file under {@code home} (again, when restarting) and starts a sidecar there
     * as instance {@code instanceId}, with {@code extraArgs} after the fleet's own.
     */
    public SidecarProcess start(Path home, String instanceId, String... extraArgs) throws IOException {
        Path settings = Files.createDirectories(home.resolve("settings"));
        Path state = Files.createDirectories(home.resolve("state"));
        Files.writeString(settings.resolve("s.yaml"), files);
        List<String> args = new ArrayList<>(List.of("--store", "etcd", "--etcd-endpoints", endpoints, "--fleet", fleet,
                "--instance-id", instanceId));
        if (adminToken != null) {
            Files.copy(adminToken, state.resolve("admin.token"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            args.addAll(List.of("--admin-token-file", adminToken.toString()));
        }
        args.addAll(List.of(extraArgs));
        return SidecarProcess.start(settings, state, args.toArray(String[]::new));
    }
}
