package io.crossfade.sidecar.guard;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.crossfade.config.Durations;
import io.crossfade.config.GuardSpec;
import io.crossfade.config.MigrationSpec;
import io.crossfade.config.Percent;
import io.crossfade.config.Variant;
import java.math.BigDecimal;
import java.time.Instant;

/**
 * The guard's and the ramp's view of one migration, as {@code /ready}, the admin API
 * ({@code health}), {@code crossfade ctl status} and the console show it. Serialised by Jackson;
 * the CLI reads it back into this same record.
 *
 * @param guard where the guard stands
 * @param ramp where the ramp stands; absent for a migration without steps
 */
public record GuardView(Watch guard, @JsonInclude(JsonInclude.Include.NON_NULL) Ramp ramp) {

    /**
     * The guard's part.
     *
     * @param status {@code waiting_for_samples}, {@code healthy}, {@code tripping}, {@code tripped}
     *     or {@code idle} (the migration is not running)
     * @param message a sentence for operators, e.g. "healthy: evidence 37 % of the way to a halt; new
     *     1.90 % (38 of 2000) vs old 1.00 % (180 of 18000) in the last 1m"
     * @param window the guard window's length, e.g. {@code 1m}
     * @param outcomes ok and error counts per variant in the window
     * @param evidence how far the evidence is towards a halt
     * @param rule the guard rule in force
     * @param lastTrip the guard's last halt or rollback of this migration, or null
     */
    public record Watch(String status, String message, String window, Outcomes outcomes, EvidenceLevel evidence,
            Rule rule, Trip lastTrip) {
    }

    /**
     * Per-variant counts in the window.
     *
     * @param old outcomes of units the percent put on old
     * @param newVariant outcomes of units the percent put on new
     * @param cohort outcomes of units a cohort placed ({@code include} on new, {@code exclude} on old),
     *     counted apart because they were not randomised: never compared, the ceiling still judges the
     *     included units on new; null when there are none
     */
    public record Outcomes(VariantOutcomes old, @JsonProperty("new") VariantOutcomes newVariant,
            @JsonInclude(JsonInclude.Include.NON_NULL) Outcomes cohort) {
    }

    /**
     * One variant's counts.
     *
     * @param ok successful outcomes
     * @param errors failed outcomes
     * @param errorRate {@code errors / (ok + errors)}, or null without outcomes
     */
    public record VariantOutcomes(long ok, long errors, Double errorRate) {
    }

    /**
     * The guard's evidence that the new value is worse (see {@link ChangeEvidence} and
     * {@link TripDecision}).
     *
     * @param percentToHalt how far on the way to a halt, 0-100 ({@code ln E / ln(1/alpha)}, rounded
     *     down; 100 means the guard trips)
     * @param value the detector {@code E} that counts towards a halt, at least 1 (1 = none: with no
     *     evidence the starts' weights sum to less than 1, which says nothing more)
     * @param threshold {@code 1 / (1 - confidence)}: the guard trips when {@code value} reaches it
     * @param ratio the ratio test's e-value of the leading start (new fails more often than old),
     *     after the design effect, before the {@code minSamples} and {@code maxRatio} floors
     * @param ceiling the ceiling test's e-value of the leading start (new above {@code maxErrorRate})
     * @param since the outcomes since the evidence began
     * @param sample {@code units} (per-unit outcomes, the unit as the sample), {@code requests}
     *     (aggregated counts judged as independent requests), or {@code units and requests}
     * @param unitsOnNew how many units on the new value reported outcomes, at least (one per group);
     *     null for aggregated counts
     * @param judges what the guard can and cannot judge now, in words
     */
    public record EvidenceLevel(int percentToHalt, double value, double threshold, double ratio, double ceiling,
            Outcomes since, String sample, Integer unitsOnNew, String judges) {
    }

    /** The guard rule, as in the settings file. */
    public record Rule(double maxErrorRate, double maxRatio, int minSamples, double confidence, String action) {
    }

    /**
     * A halt or rollback by the guard.
     *
     * @param at when it became durable
     * @param action {@code halt} or {@code rollback}
     * @param reason the audit reason
     */
    public record Trip(Instant at, String action, String reason) {
    }

    /**
     * The ramp's part: see {@link RampStatus}.
     *
     * @param phase {@code holding}, {@code extended}, {@code ready}, {@code last_step}, {@code stopped},
     *     {@code off_ramp} or {@code over}
     * @param step the step held, from 1
     * @param steps the number of steps
     * @param percent the step's percent
     * @param holdMillis the step's hold, null on the last step
     * @param heldMillis how long it has been held
     * @param remainingMillis how much of the hold is left
     * @param newOutcomesThisHold new-variant outcomes counted during this hold (in memory)
     * @param minSamples how many the step needs before it may climb
     * @param message a sentence for operators
     */
    public record Ramp(String phase, int step, int steps, BigDecimal percent, Long holdMillis, long heldMillis,
            long remainingMillis, long newOutcomesThisHold, int minSamples, String message) {

        static Ramp of(RampStatus ramp) {
            return new Ramp(ramp.phase().wireName(), ramp.step(), ramp.steps(), Percent.toDecimal(ramp.percent()),
                    ramp.hold() == null ? null : ramp.hold().toMillis(), ramp.held().toMillis(),
                    ramp.remaining().toMillis(), ramp.samples(), ramp.minSamples(), ramp.message());
        }
    }

    /** The counts of a window (or of the evidence's span) as a view. */
    static Outcomes outcomes(WindowCounts counts) {
        return new Outcomes(variant(counts, Variant.OLD), variant(counts, Variant.NEW), null);
    }

    /** As {@link #outcomes(WindowCounts)}, with the cohort-placed units' counts apart when there are any. */
    static Outcomes outcomes(WindowCounts counts, WindowCounts cohort) {
        Outcomes byCohort = cohort.oldTotal() + cohort.newTotal() == 0 ? null : outcomes(cohort);
        return new Outcomes(variant(counts, Variant.OLD), variant(counts, Variant.NEW), byCohort);
    }

    private static VariantOutcomes variant(WindowCounts counts, Variant v) {
        return new VariantOutcomes(counts.ok(v), counts.errors(v), TripDecision.rate(counts, v));
    }

    /** The evidence part, from the last look's judgements (null before the first look) and verdict. */
    static EvidenceLevel evidence(GuardSpec rule, ChangeEvidence.Judgement units, ChangeEvidence.Judgement requests,
            Verdict verdict) {
        ChangeEvidence.Judgement none = ChangeEvidence.none(rule);
        ChangeEvidence.Judgement u = units == null ? none : units;
        ChangeEvidence.Judgement r = requests == null ? none : requests;
        boolean hasUnits = u.outcomes() > 0;
        boolean hasRequests = r.outcomes() > 0;
        ChangeEvidence.Judgement main = hasRequests && (!hasUnits || r.logE() > u.logE()) ? r : u;
        WindowCounts since = plus(u.first().counts(), r.first().counts());
        String sample = hasUnits && hasRequests ? "units and requests" : hasRequests ? "requests" : "units";
        String cannot = TripDecision.cannotJudge(rule, main, main.first());
        String judges;
        if (verdict.trips()) {
            judges = "the evidence has reached the line";
        } else if (cannot != null) {
            judges = "not yet: " + cannot;
        } else if (main.sample() == ChangeEvidence.Sample.REQUESTS) {
            judges = "both tests, on aggregated counts judged as independent requests (report per unit to judge units)";
        } else {
            judges = "both tests, with units as the sample";
        }
        ChangeEvidence.StartJudgement lead = main.leading();
        return new EvidenceLevel((int) Math.floor(verdict.toHalt() * 100 + 1e-9), round(Math.max(1, verdict.evidence())),
                round(1 / (1 - rule.confidence())), round(Math.exp(lead.logRatioUngated())),
                round(Math.exp(lead.logCeiling())), outcomes(since), sample,
                hasUnits ? u.first().newGroups() : null, judges);
    }

    private static WindowCounts plus(WindowCounts a, WindowCounts b) {
        return new WindowCounts(a.oldOk() + b.oldOk(), a.oldErrors() + b.oldErrors(), a.newOk() + b.newOk(),
                a.newErrors() + b.newErrors());
    }

    private static double round(double v) {
        // JSON has no infinity: overwhelming evidence shows as the largest double
        return Double.isFinite(v) ? new BigDecimal(v).round(new java.math.MathContext(4)).doubleValue() : Double.MAX_VALUE;
    }

    /** The rule part. */
    static Rule rule(GuardSpec g) {
        return new Rule(g.maxErrorRate(), g.maxRatio(), g.minSamples(), g.confidence(), g.action().wireName());
    }

    /** The window's length as written in settings files. */
    static String window(MigrationSpec spec) {
        return Durations.format(spec.guard().window());
    }
}
