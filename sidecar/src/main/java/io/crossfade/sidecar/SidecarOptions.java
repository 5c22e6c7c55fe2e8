package io.crossfade.sidecar;

import io.crossfade.sidecar.fleet.FleetOptions;
import io.crossfade.sidecar.notify.NotifyOptions;
import io.crossfade.sidecar.proxy.ProxyOptions;
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
 * @param resilience limits on reloads, clients and connections
 * @param proxy proxy mode ({@code --proxy-listen}, {@code --upstream}, ...), or null for none
 * @param transport the network transport of the event loops ({@code --transport}); null is
 *     {@link NetworkTransport#AUTO}
 * @param notifications the webhooks told of every migration change ({@code --notify-url}, ...); null is
 *     {@link NotifyOptions#NONE}
 */
public record SidecarOptions(Path settingsDir, Path stateDir, HostPort listen, Path listenUnix, HostPort opsListen,
        Path adminTokenFile, String instanceId, FleetOptions fleet, ResilienceOptions resilience, ProxyOptions proxy,
        NetworkTransport transport, NotifyOptions notifications) {

    /** Options without notifications. */
    public SidecarOptions(Path settingsDir, Path stateDir, HostPort listen, Path listenUnix, HostPort opsListen,
            Path adminTokenFile, String instanceId, FleetOptions fleet, ResilienceOptions resilience, ProxyOptions proxy,
            NetworkTransport transport) {
        this(settingsDir, stateDir, listen, listenUnix, opsListen, adminTokenFile, instanceId, fleet, resilience, proxy,
                transport, NotifyOptions.NONE);
    }

    /** Options on the {@link NetworkTransport#AUTO} transport. */
    public SidecarOptions(Path settingsDir, Path stateDir, HostPort listen, Path listenUnix, HostPort opsListen,
            Path adminTokenFile, String instanceId, FleetOptions fleet, ResilienceOptions resilience, ProxyOptions proxy) {
        this(settingsDir, stateDir, listen, listenUnix, opsListen, adminTokenFile, instanceId, fleet, resilience, proxy,
                NetworkTransport.AUTO);
    }

    /** Options without proxy mode. */
    public SidecarOptions(Path settingsDir, Path stateDir, HostPort listen, Path listenUnix, HostPort opsListen,
            Path adminTokenFile, String instanceId, FleetOptions fleet, ResilienceOptions resilience) {
        this(settingsDir, stateDir, listen, listenUnix, opsListen, adminTokenFile, instanceId, fleet, resilience, null);
    }

    /** A sidecar that keeps its migration state in its own state directory. */
    public SidecarOptions(Path settingsDir, Path stateDir, HostPort listen, Path listenUnix, HostPort opsListen,
            Path adminTokenFile, String instanceId) {
        this(settingsDir, stateDir, listen, listenUnix, opsListen, adminTokenFile, instanceId, null);
    }

    /** Options with {@link ResilienceOptions#DEFAULTS}. */
    public SidecarOptions(Path settingsDir, Path stateDir, HostPort listen, Path listenUnix, HostPort opsListen,
            Path adminTokenFile, String instanceId, FleetOptions fleet) {
        this(settingsDir, stateDir, listen, listenUnix, opsListen, adminTokenFile, instanceId, fleet,
                ResilienceOptions.DEFAULTS);
    }

    public SidecarOptions {
        resilience = resilience == null ? ResilienceOptions.DEFAULTS : resilience;
        transport = transport == null ? NetworkTransport.AUTO : transport;
        notifications = notifications == null ? NotifyOptions.NONE : notifications;
        Objects.requireNonNull(settingsDir, "settingsDir");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(opsListen, "opsListen");
    }
}
