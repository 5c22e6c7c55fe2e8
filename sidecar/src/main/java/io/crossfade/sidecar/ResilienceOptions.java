package io.crossfade.sidecar;

import io.crossfade.sidecar.http.ListenerLimits;
import io.crossfade.sidecar.source.RemovalLimit;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The serve flags that bound what inputs, clients and time can do to a sidecar, with validated
 * defaults. Immutable.
 *
 * @param maxRemoval {@code --max-removal}: the share of settings one reload may remove without an
 *     operator's {@code --accept-removals} (default 50 %)
 * @param retainRetired {@code --retain-retired}: how long a retired migration's state is kept so it
 *     resumes if its files come back (default 7 days; 0 keeps none)
 * @param allowedHosts {@code --allowed-hosts}: host names the listeners answer besides loopback names,
 *     IP literals and the bound host; {@code *} turns the Host and Origin checks off
 * @param listenerLimits {@code --idle-timeout}, {@code --request-timeout}, {@code --max-connections}
 */
public record ResilienceOptions(RemovalLimit maxRemoval, Duration retainRetired, List<String> allowedHosts,
        ListenerLimits listenerLimits) {

    /** Every default. */
    public static final ResilienceOptions DEFAULTS = new ResilienceOptions(RemovalLimit.DEFAULT, Duration.ofDays(7),
            List.of(), ListenerLimits.DEFAULTS);

    public ResilienceOptions {
        listenerLimits = listenerLimits == null ? ListenerLimits.DEFAULTS : listenerLimits;
        allowedHosts = allowedHosts == null ? List.of() : List.copyOf(allowedHosts);
        Objects.requireNonNull(maxRemoval, "maxRemoval");
        Objects.requireNonNull(retainRetired, "retainRetired");
        if (retainRetired.isNegative()) {
            throw new IllegalArgumentException("--retain-retired must not be negative, found " + retainRetired);
        }
    }
}
