package io.crossfade.sidecar.rollout;

/** Told after each durable change to a migration, on the rollout controller's thread; must not block. */
@FunctionalInterface
public interface MigrationChangeListener {

    /** @param event the audit event just made durable */
    void changed(AuditEvent event);
}
