package io.crossfade.sidecar;

import io.crossfade.sidecar.http.ListenerLimits;
import io.crossfade.sidecar.source.RemovalLimit;
import java.util.List;
import java.util.Objects;

/**
 * The serve flags that bound what inputs, clients and time can do to a sidecar, with validated
 * defaults. Immutable.
 *
 * @param maxRemoval {@code --max-removal}: the share of settings one reload may remove without an
 *     operator's {@code --accept-removals} (default 50 %)
 * @param allowedHosts {@code --allowed-hosts}: host names the listeners answer besides loopback names,
 *     IP literals and the bound host; {@code *} turns the Host and Origin checks off
 * @param listenerLimits {@code --idle-timeout}, {@code --request-timeout}, {@code --max-connections}
 */
public record ResilienceOptions(RemovalLimit maxRemoval, List<String> allowedHosts,
        ListenerLimits listenerLimits) {

    /** Every default. */
    public static final ResilienceOptions DEFAULTS = new ResilienceOptions(RemovalLimit.DEFAULT, List.of(),
            ListenerLimits.DEFAULTS);

    public ResilienceOptions {
        listenerLimits = listenerLimits == null ? ListenerLimits.DEFAULTS : listenerLimits;
        allowedHosts = allowedHosts == null ? List.of() : List.copyOf(allowedHosts);
        Objects.requireNonNull(maxRemoval, "maxRemoval");
    }
}
