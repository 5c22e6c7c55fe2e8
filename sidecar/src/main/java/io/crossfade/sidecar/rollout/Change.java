package io.crossfade.sidecar.rollout;

/** A requested change to one migration, by an operator, the guard or the ramp. */
public sealed interface Change {

    /** The audit log's name for this change. */
    String action();

    /** Set the percent (thousandths); takes a ramped migration off its ramp until {@code resume}. */
    record SetPercent(int percent) implements Change {

        /** @throws IllegalArgumentException when {@code percent} is outside 0..100 000 thousandths */
        public SetPercent {
            if (percent < 0 || percent > io.crossfade.config.Percent.FULL) {
                throw new IllegalArgumentException("percent must be 0..100000 thousandths, got " + percent);
            }
        }

        public String action() {
            return "set_percent";
        }
    }

    /** Freeze the migration where it is (operator). */
    record Pause() implements Change {
        public String action() {
            return "pause";
        }
    }

    /** Continue a paused or halted migration, or put a manually set one back on its ramp. */
    record Resume() implements Change {
        public String action() {
            return "resume";
        }
    }

    /** Everyone back on the old value. */
    record Rollback() implements Change {
        public String action() {
            return "rollback";
        }
    }

    /** Everyone on the new value; allowed only at 100 %. */
    record Complete() implements Change {
        public String action() {
            return "complete";
        }
    }

    /** Freeze the percent because the new value misbehaves (guard). */
    record Halt() implements Change {
        public String action() {
            return "halt";
        }
    }

    /** Move the ramp from step {@code fromStep} to the next step (step scheduler). */
    record AdvanceStep(int fromStep) implements Change {
        public String action() {
            return "step";
        }
    }

    /**
     * Add units to, or remove them from, an operator's include or exclude list (kept apart from the
     * files' lists; exclude wins over include, both over the percent).
     *
     * @param op which list, and add or remove
     * @param units the units, at least one
     */
    record Cohort(CohortOp op, java.util.List<String> units) implements Change {

        public Cohort {
            units = java.util.List.copyOf(units);
            if (units.isEmpty()) {
                throw new IllegalArgumentException("at least one unit");
            }
        }

        public String action() {
            return op.action();
        }
    }

    /** The four operator list changes: {@code include}, {@code exclude}, {@code uninclude}, {@code unexclude}. */
    enum CohortOp {
        INCLUDE, EXCLUDE, UNINCLUDE, UNEXCLUDE;

        /** The audit action and the admin path segment. */
        public String action() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        /** True for the include list, false for the exclude list. */
        public boolean includeList() {
            return this == INCLUDE || this == UNINCLUDE;
        }

        /** True when units are added, false when removed. */
        public boolean adds() {
            return this == INCLUDE || this == EXCLUDE;
        }
    }
}
