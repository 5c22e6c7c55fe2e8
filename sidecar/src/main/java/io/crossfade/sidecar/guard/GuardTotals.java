package io.crossfade.sidecar.guard;

import java.util.Arrays;
import java.util.Objects;

/**
 * Running totals of one migration's outcomes, as the guard judges them: per-unit outcomes counted
 * per side and {@link UnitGroups group}, and aggregated counts (which carry no units) apart.
 * Immutable (the array is copied in and never written); serialised by Jackson in fleet heartbeats.
 *
 * @param requests aggregated counts, judged as independent requests
 * @param groups per-unit outcomes in the {@link UnitGroups} layout ({@link UnitGroups#SIZE} long)
 */
public record GuardTotals(WindowCounts requests, long[] groups) {

    /** Nothing counted. */
    public static final GuardTotals EMPTY = new GuardTotals(WindowCounts.EMPTY, new long[UnitGroups.SIZE]);

    public GuardTotals {
        requests = requests == null ? WindowCounts.EMPTY : requests;
        if (groups == null) {
            groups = new long[UnitGroups.SIZE];
        } else if (groups.length != UnitGroups.SIZE) {
            throw new IllegalArgumentException("group counts have " + UnitGroups.SIZE + " entries, got " + groups.length);
        } else {
            groups = groups.clone();
            for (long g : groups) {
                if (g < 0) {
                    throw new IllegalArgumentException("counts cannot be negative");
                }
            }
        }
    }

    /** The group counts (a copy). */
    @Override
    public long[] groups() {
        return groups.clone();
    }

    /** Both kinds added up per variant: what the window, the holds and the views count. */
    public WindowCounts all() {
        WindowCounts units = UnitGroups.totals(groups);
        return new WindowCounts(requests.oldOk() + units.oldOk(), requests.oldErrors() + units.oldErrors(),
                requests.newOk() + units.newOk(), requests.newErrors() + units.newErrors());
    }

    /** The sum of both. */
    public GuardTotals plus(GuardTotals other) {
        long[] sum = groups.clone();
        for (int i = 0; i < sum.length; i++) {
            sum[i] += other.groups[i];
        }
        WindowCounts a = requests;
        WindowCounts b = other.requests;
        return new GuardTotals(new WindowCounts(a.oldOk() + b.oldOk(), a.oldErrors() + b.oldErrors(),
                a.newOk() + b.newOk(), a.newErrors() + b.newErrors()), sum);
    }

    /** This minus {@code earlier}, which it must not be below anywhere. */
    public GuardTotals minus(GuardTotals earlier) {
        long[] diff = groups.clone();
        for (int i = 0; i < diff.length; i++) {
            diff[i] -= earlier.groups[i];
        }
        WindowCounts a = requests;
        WindowCounts b = earlier.requests;
        return new GuardTotals(new WindowCounts(a.oldOk() - b.oldOk(), a.oldErrors() - b.oldErrors(),
                a.newOk() - b.newOk(), a.newErrors() - b.newErrors()), diff);
    }

    /** True when some count of this is below {@code earlier}'s: the counts started again. */
    public boolean below(GuardTotals earlier) {
        WindowCounts a = requests;
        WindowCounts b = earlier.requests;
        if (a.oldOk() < b.oldOk() || a.oldErrors() < b.oldErrors() || a.newOk() < b.newOk()
                || a.newErrors() < b.newErrors()) {
            return true;
        }
        for (int i = 0; i < groups.length; i++) {
            if (groups[i] < earlier.groups[i]) {
                return true;
            }
        }
        return false;
    }

    /** The aggregated counts as a group count array (all in group 0), for {@link ChangeEvidence}. */
    long[] requestsAsGroups() {
        long[] out = new long[UnitGroups.SIZE];
        int o = UnitGroups.index(UnitGroups.OLD, 0);
        int n = UnitGroups.index(UnitGroups.NEW, 0);
        out[o] = requests.oldTotal();
        out[o + 1] = requests.oldErrors();
        out[n] = requests.newTotal();
        out[n + 1] = requests.newErrors();
        return out;
    }

    /** The group counts without a copy, for this package's hot paths; never written. */
    long[] groupsView() {
        return groups;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GuardTotals t && requests.equals(t.requests) && Arrays.equals(groups, t.groups);
    }

    @Override
    public int hashCode() {
        return Objects.hash(requests, Arrays.hashCode(groups));
    }

    @Override
    public String toString() {
        return "GuardTotals[requests=" + requests + ", units=" + all() + "]";
    }
}
