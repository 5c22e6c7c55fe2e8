package io.crossfade.sidecar;

import io.crossfade.sidecar.http.ListenerLimits;
import io.crossfade.sidecar.rollout.RolloutController;
import io.crossfade.sidecar.source.RemovalLimit;
import io.crossfade.sidecar.state.AuditRetention;
import java.time.Duration;
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
 * @param retainRetired {@code --retain-retired}: how long a retired migration's state is kept so that
 *     it resumes if its file comes back (default 7 days; zero keeps none)
 * @param auditRetention {@code --audit-retention}: how much of the audit log is kept on disk
 */
public record ResilienceOptions(RemovalLimit maxRemoval, List<String> allowedHosts,
        ListenerLimits listenerLimits, Duration retainRetired, AuditRetention auditRetention) {

    /** Every default. */
    public static final ResilienceOptions DEFAULTS = new ResilienceOptions(RemovalLimit.DEFAULT, List.of(),
            ListenerLimits.DEFAULTS);

    /** With the default retention of retired migrations and of the audit log. */
    public ResilienceOptions(RemovalLimit maxRemoval, List<String> allowedHosts, ListenerLimits listenerLimits) {
        this(maxRemoval, allowedHosts, listenerLimits, null, null);
    }

    public ResilienceOptions {
        listenerLimits = listenerLimits == null ? ListenerLimits.DEFAULTS : listenerLimits;
        retainRetired = retainRetired == null ? RolloutController.DEFAULT_RETAIN_RETIRED : retainRetired;
        auditRetention = auditRetention == null ? AuditRetention.DEFAULT : auditRetention;
        if (retainRetired.isNegative()) {
            throw new IllegalArgumentException("--retain-retired must not be negative, found " + retainRetired);
        }
        allowedHosts = allowedHosts == null ? List.of() : List.copyOf(allowedHosts);
        Objects.requireNonNull(maxRemoval, "maxRemoval");
    }
}
