package io.crossfade.sidecar.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.crossfade.config.InputText;
import io.crossfade.config.Percent;
import io.crossfade.config.SettingKey;
import io.crossfade.sidecar.admin.AdminTokens;
import io.crossfade.sidecar.admin.EventPage;
import io.crossfade.sidecar.admin.EventView;
import io.crossfade.sidecar.admin.MigrationList;
import io.crossfade.sidecar.admin.MigrationView;
import io.crossfade.sidecar.guard.GuardView;
import io.crossfade.sidecar.json.Json;
import java.io.IOException;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * {@code crossfade ctl}: the operator CLI over the admin API. Exit status 0 when done; 1 when the
 * sidecar refuses the call (bad token, conflict, invalid value, stale {@code --if-match}) or cannot
 * be reached, with a message saying why; 2 on usage errors.
 */
@Command(name = "ctl", mixinStandardHelpOptions = true,
        description = {"Steer migrations through the sidecar's admin API.",
                "Exit status: 0 done; 1 refused by the sidecar or sidecar unreachable; 2 usage error."},
        footer = {"", "Options of the changes (set, pause, resume, rollback, complete, include, exclude, uninclude,",
                "unexclude):",
                "      --reason=TEXT      Why; kept in the audit log.",
                "      --if-match=REV     Only if the migration is still at this revision (the REV column of",
                "                           `status`); refused with exit status 1 otherwise.",
                "Following: `status --watch` redraws the table every second; `events --follow` prints new",
                "events as they are appended. Both run until interrupted (Ctrl-C).",
                "Help of one command: crossfade ctl COMMAND --help"},
        subcommands = {CtlCommand.Status.class, CtlCommand.SetPercent.class, CtlCommand.Pause.class, CtlCommand.Resume.class,
                CtlCommand.Rollback.class, CtlCommand.Complete.class, CtlCommand.Include.class, CtlCommand.Exclude.class,
                CtlCommand.Uninclude.class, CtlCommand.Unexclude.class, CtlCommand.Events.class, CtlCommand.Reload.class})
public final class CtlCommand implements Runnable {

    private static final String MIGRATIONS = "/admin/v1/migrations";

    /** The one-second wait of {@code --watch} and {@code --follow}; false once interrupted. */
    static boolean pauseASecond() {
        try {
            Thread.sleep(1_000);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Spec
    CommandSpec spec;

    @Option(names = "--ops", paramLabel = "URL", scope = ScopeType.INHERIT,
            defaultValue = "${env:CROSSFADE_OPS:-http://127.0.0.1:7071}",
            description = "The sidecar's ops listener (default: ${DEFAULT-VALUE}; env CROSSFADE_OPS).")
    String ops;

    @Option(names = "--state", paramLabel = "DIR", scope = ScopeType.INHERIT,
            defaultValue = "${env:CROSSFADE_STATE:-./.crossfade-state}",
            description = "The sidecar's state directory, where it keeps admin.token (default: ${DEFAULT-VALUE}; env CROSSFADE_STATE).")
    Path state;

    @Option(names = "--token-file", paramLabel = "FILE", scope = ScopeType.INHERIT,
            defaultValue = "${env:CROSSFADE_ADMIN_TOKEN_FILE}",
            description = "File with the admin token (TOKEN or NAME:TOKEN lines); env CROSSFADE_ADMIN_TOKEN_FILE;"
                    + " default: <state>/admin.token.")
    Path tokenFile;

    @Option(names = "--token-name", paramLabel = "NAME", scope = ScopeType.INHERIT,
            description = "Which token of a file with several NAME:TOKEN lines to use.")
    String tokenName;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "Print the sidecar's JSON answer as it is.")
    boolean json;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(),
                "choose a command: status, set, pause, resume, rollback, complete, events or reload");
    }

    /** A client for the sidecar the options point at. */
    AdminClient client(CommandSpec caller) throws AdminClient.Refused {
        URI base = opsUri(caller);
        Path file = tokenFile != null ? tokenFile : state.resolve(AdminTokens.GENERATED_FILE);
        List<AdminTokens.Token> tokens;
        try {
            tokens = AdminTokens.read(file);
        } catch (NoSuchFileException e) {
            throw new AdminClient.Refused("no admin token at " + file + "; point --state at the sidecar's state"
                    + " directory (it generates admin.token there) or pass --token-file FILE");
        } catch (AccessDeniedException e) {
            throw new AdminClient.Refused("cannot read the admin token in " + file + ": permission denied (it is"
                    + " mode 0600: run as the sidecar's user, or pass --token-file)");
        } catch (IOException e) {
            throw new AdminClient.Refused("cannot use the admin token file: " + e.getMessage());
        }
        AdminTokens.Token token = null;
        if (tokenName != null) {
            token = tokens.stream().filter(t -> t.name().equals(tokenName)).findFirst().orElseThrow(() ->
                    new AdminClient.Refused(file + " has no token named '" + tokenName + "'"));
        } else if (tokens.size() == 1) {
            token = tokens.get(0);
        } else {
            throw new AdminClient.Refused(file + " holds " + tokens.size() + " tokens; choose one with --token-name ("
                    + String.join(", ", tokens.stream().map(AdminTokens.Token::name).toList()) + ")");
        }
        return new AdminClient(base, token.secret(), file);
    }

    private URI opsUri(CommandSpec caller) {
        String text = ops.strip();
        if (!text.contains("://")) {
            text = "http://" + text;
        }
        try {
            URI uri = new URI(text);
            if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                throw new IllegalArgumentException("not an http URL");
            }
            return uri.resolve("/");
        } catch (Exception e) {
            throw new ParameterException(caller.commandLine(),
                    "--ops must be the sidecar's ops address, like http://127.0.0.1:7071, got '" + ops + "'");
        }
    }

    /** What every ctl command shares: the client, printing, and turning refusals into exit status 1. */
    abstract static class Call implements Callable<Integer> {

        @ParentCommand
        CtlCommand ctl;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            try {
                return run(ctl.client(spec));
            } catch (AdminClient.Refused e) {
                spec.commandLine().getErr().println("crossfade ctl: " + e.getMessage());
                spec.commandLine().getErr().flush();
                return 1;
            }
        }

        abstract int run(AdminClient client) throws AdminClient.Refused;

        PrintWriter out() {
            return spec.commandLine().getOut();
        }

        /** Prints the raw JSON answer when {@code --json} was given; returns whether it did. */
        boolean printedJson(AdminClient.Answer answer) {
            if (ctl.json) {
                out().println(answer.raw());
                out().flush();
            }
            return ctl.json;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Show every migration: percent, state, old → new value, owner, errors per variant, how far the"
                    + " guard's evidence is towards a halt, revision.")
    static final class Status extends Call {

        @Option(names = "--watch", description = "Redraw the table every second until interrupted (Ctrl-C).")
        boolean watch;

        @Override
        int run(AdminClient client) throws AdminClient.Refused {
            if (!watch) {
                return once(client);
            }
            // On a terminal each redraw replaces the last; piped, the tables follow one another.
            String clear = System.console() != null ? "\033[H\033[2J" : "";
            while (!Thread.currentThread().isInterrupted()) {
                out().print(clear);
                out().println("every 1s, " + java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)
                        + " (Ctrl-C to stop)");
                try {
                    once(client);
                } catch (AdminClient.Refused e) {
                    out().println("crossfade ctl: " + e.getMessage());
                }
                out().println();
                out().flush();
                if (!pauseASecond()) {
                    break;
                }
            }
            return 0;
        }

        private int once(AdminClient client) throws AdminClient.Refused {
            AdminClient.Answer answer = client.get(MIGRATIONS);
            if (printedJson(answer)) {
                return 0;
            }
            List<MigrationView> migrations = answer.as(MigrationList.class).migrations();
            if (migrations.isEmpty()) {
                out().println("no migrations: the settings files declare none");
                out().flush();
                return 0;
            }
            JsonNode fleet = fleetInstances(client);
            JsonNode store = fleet == null ? null : storeStatus(client);
            boolean storeAway = store != null && !store.path("connected").asBoolean(true);
            TextTable table = fleet == null
                    ? new TextTable("KEY", "PERCENT", "STATE", "OLD → NEW", "OWNER", "ERRORS (old / new)", "EVIDENCE",
                            "REV")
                    : new TextTable("KEY", "PERCENT", "STATE", "OLD → NEW", "OWNER", "ERRORS (old / new)", "EVIDENCE",
                            "REV", "FLEET");
            for (MigrationView m : migrations) {
                MigrationView.Spec s = m.spec();
                String[] row = {m.key(), m.state().percent().toPlainString() + "%", stateText(m.state()),
                        s == null ? "-" : value(s.from()) + " → " + value(s.to()), s == null ? null : s.owner(),
                        errors(m.health()), evidence(m.health()), String.valueOf(m.revision())};
                if (fleet == null) {
                    table.row(row);
                } else {
                    String[] wider = java.util.Arrays.copyOf(row, row.length + 1);
                    wider[row.length] = convergence(fleet, m.key(), m.revision()) + (storeAway ? " (last seen)" : "");
                    table.row(wider);
                }
            }
            table.print(out());
            for (MigrationView m : migrations) {
                String judges = judges(m.health());
                if (judges != null) {
                    out().println(m.key() + ": the guard judges " + judges);
                }
                String cohorts = cohorts(m.cohorts());
                if (cohorts != null) {
                    out().println(m.key() + " cohorts: " + cohorts);
                }
            }
            for (String line : storeLines(store)) {
                out().println(line);
            }
            out().flush();
            return 0;
        }

        /** {@code /ready}'s {@code store} section, or null when it cannot be had. */
        private static JsonNode storeStatus(AdminClient client) {
            try {
                JsonNode store = client.get("/ready").body().path("store");
                return store.isMissingNode() ? null : store;
            } catch (AdminClient.Refused unavailable) {
                return null;
            }
        }

        /**
         * What an operator must know of the fleet store beside the table: that it cannot be reached
         * (the FLEET column is then as last seen), or that it lost the fleet's state and was re-seeded.
         */
        static List<String> storeLines(JsonNode store) {
            List<String> lines = new java.util.ArrayList<>();
            if (store == null) {
                return lines;
            }
            if (!store.path("connected").asBoolean(true)) {
                lines.add("STORE DISCONNECTED: " + store.path("type").asText("store") + " at "
                        + store.path("endpoint").asText("?") + " cannot be reached since " + store.path("since").asText("?")
                        + "; serving the last state seen (revision " + store.path("revision").asText("?")
                        + "), operator changes are refused until it is back");
            }
            JsonNode reset = store.path("reset");
            if (reset.isObject()) {
                String by = reset.path("reseededBy").asText("");
                lines.add("STORE RESET at " + reset.path("at").asText("?") + ": " + reset.path("cause").asText("")
                        + "; " + (by.isEmpty() ? "re-seeding it with" : "re-seeded by " + by + " with")
                        + " restored revision " + reset.path("restoredRevision").asText("?"));
            }
            return lines;
        }

        /**
         * {@code include staff (2 units, 1 prefix), dave; exclude frozen (file frozen.txt, 40 units);
         * operator include bob}, or null without cohorts. The files' lists and the operator's apart.
         */
        static String cohorts(MigrationView.Cohorts c) {
            if (c == null) {
                return null;
            }
            List<String> parts = new java.util.ArrayList<>();
            if (!c.exclude().isEmpty()) {
                parts.add("exclude " + cohortList(c.exclude()));
            }
            if (!c.include().isEmpty()) {
                parts.add("include " + cohortList(c.include()));
            }
            if (!c.operatorExclude().isEmpty()) {
                parts.add("operator exclude " + String.join(", ", c.operatorExclude()));
            }
            if (!c.operatorInclude().isEmpty()) {
                parts.add("operator include " + String.join(", ", c.operatorInclude()));
            }
            return parts.isEmpty() ? null : String.join("; ", parts);
        }

        private static String cohortList(List<MigrationView.CohortView> cohorts) {
            List<String> shown = new java.util.ArrayList<>();
            for (MigrationView.CohortView v : cohorts) {
                if (v.cohort() == null) {
                    shown.add(String.join(", ", v.units()));
                    continue;
                }
                List<String> what = new java.util.ArrayList<>();
                if (v.file() != null) {
                    what.add("file " + v.file());
                }
                what.add(v.unitCount() + (v.unitCount() == 1 ? " unit" : " units"));
                if (!v.prefixes().isEmpty()) {
                    what.add("prefixes " + String.join(", ", v.prefixes()));
                }
                shown.add(v.cohort() + " (" + String.join(", ", what) + ")");
            }
            return String.join(", ", shown);
        }

        /** The fleet's live instances, or null when the sidecar is not in a fleet. */
        private static JsonNode fleetInstances(AdminClient client) {
            try {
                return client.get("/admin/v1/instances").body().path("instances");
            } catch (AdminClient.Refused notAFleet) {
                return null;
            }
        }

        /** {@code 38/40 at rev 7}: how many live instances serve the migration at this revision. */
        static String convergence(JsonNode instances, String key, long revision) {
            int total = 0;
            int converged = 0;
            for (JsonNode i : instances) {
                JsonNode served = i.path("migrations").path(key);
                if (served.isMissingNode()) {
                    continue; // an instance whose files do not declare it
                }
                total++;
                if (served.path("revision").asLong(-1) == revision) {
                    converged++;
                }
            }
            return converged + "/" + total + " at rev " + revision;
        }

        private static String stateText(MigrationView.State state) {
            String text = state.state();
            MigrationView.Ramp ramp = state.ramp();
            if (ramp != null) {
                text += state.manual() ? " (off ramp at step " : " (step ";
                text += ramp.step() + "/" + ramp.of() + ")";
            }
            return text;
        }

        /** {@code 0.43% (21/4833) / 1.19% (3/253)}, or {@code -} until the guard reports. */
        private static String errors(GuardView health) {
            GuardView.Outcomes variants = health == null ? null : health.guard().outcomes();
            if (variants == null || variants.old() == null || variants.newVariant() == null
                    || total(variants.old()) + total(variants.newVariant()) == 0) {
                return "-";
            }
            return variantErrors(variants.old()) + " / " + variantErrors(variants.newVariant());
        }

        /** {@code 37%} of the way to a halt while the guard watches; else its status ({@code tripped}, {@code idle}). */
        private static String evidence(GuardView health) {
            if (health == null || health.guard().status() == null) {
                return "-";
            }
            String status = health.guard().status();
            if ((status.equals("healthy") || status.equals("waiting_for_samples")) && health.guard().evidence() != null) {
                return health.guard().evidence().percentToHalt() + "%";
            }
            return status;
        }

        /** What a watching guard cannot judge yet, in words, or null while it judges both tests or is idle. */
        static String judges(GuardView health) {
            if (health == null || health.guard().evidence() == null || health.guard().evidence().judges() == null) {
                return null;
            }
            String status = health.guard().status();
            String judges = health.guard().evidence().judges();
            return (status.equals("healthy") || status.equals("waiting_for_samples")) && judges.startsWith("not yet")
                    ? judges : null;
        }

        private static long total(GuardView.VariantOutcomes v) {
            return v.ok() + v.errors();
        }

        private static String variantErrors(GuardView.VariantOutcomes v) {
            long total = total(v);
            String shown = v.errorRate() != null
                    ? BigDecimal.valueOf(v.errorRate() * 100).setScale(2, RoundingMode.HALF_UP).toPlainString() + "%"
                    : "-";
            return shown + " (" + v.errors() + "/" + total + ")";
        }
    }

    /** The change commands: a key, an optional reason and revision; the answer is the new state. */
    abstract static class ChangeCall extends Call {

        @Parameters(index = "0", paramLabel = "KEY", description = "The setting key of the migration.")
        String key;

        @Option(names = "--reason", paramLabel = "TEXT", description = "Why; kept in the audit log.")
        String reason;

        @Option(names = "--if-match", paramLabel = "REV",
                description = "Only if the migration is still at this revision (see `status`); refused otherwise.")
        Long ifMatch;

        /** The last path segment: {@code percent}, {@code pause}, ... */
        abstract String action();

        /** The body beyond the reason. */
        ObjectNode body() throws AdminClient.Refused {
            return Json.MAPPER.createObjectNode();
        }

        @Override
        int run(AdminClient client) throws AdminClient.Refused {
            if (!SettingKey.isValid(key)) {
                throw new AdminClient.Refused("invalid key '" + key + "': " + SettingKey.rule());
            }
            ObjectNode body = body();
            if (reason != null) {
                body.put("reason", reason);
            }
            AdminClient.Answer answer = client.post(MIGRATIONS + "/" + key + "/" + action(), body, ifMatch);
            if (printedJson(answer)) {
                return 0;
            }
            MigrationView view = answer.as(MigrationView.class);
            out().println(key + " is now at " + view.state().percent().toPlainString() + "% " + view.state().state()
                    + " (revision " + view.revision() + ")");
            if (this instanceof CohortCall) {
                String cohorts = Status.cohorts(view.cohorts());
                out().println(key + " cohorts: " + (cohorts == null ? "none" : cohorts));
            }
            out().flush();
            return 0;
        }
    }

    /** The operator's cohort lists: a key and one or more units. */
    abstract static class CohortCall extends ChangeCall {

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "UNIT", description = "The units.")
        List<String> units;

        @Override
        ObjectNode body() {
            ObjectNode body = Json.MAPPER.createObjectNode();
            units.forEach(body.putArray("units")::add);
            return body;
        }
    }

    @Command(name = "include", mixinStandardHelpOptions = true,
            description = "Put units on the new value whatever the percent (unless excluded), fleet-wide and durably.")
    static final class Include extends CohortCall {
        @Override
        String action() {
            return "include";
        }
    }

    @Command(name = "exclude", mixinStandardHelpOptions = true,
            description = "Keep units on the old value whatever the percent and any include, fleet-wide and durably.")
    static final class Exclude extends CohortCall {
        @Override
        String action() {
            return "exclude";
        }
    }

    @Command(name = "uninclude", mixinStandardHelpOptions = true,
            description = "Take units off the operator's include list (the files' lists are edited in the files).")
    static final class Uninclude extends CohortCall {
        @Override
        String action() {
            return "uninclude";
        }
    }

    @Command(name = "unexclude", mixinStandardHelpOptions = true,
            description = "Take units off the operator's exclude list (the files' lists are edited in the files).")
    static final class Unexclude extends CohortCall {
        @Override
        String action() {
            return "unexclude";
        }
    }

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = "Set the share of units on the new value, 0-100 with up to three decimals.")
    static final class SetPercent extends ChangeCall {

        @Parameters(index = "1", paramLabel = "PERCENT", description = "0-100, up to three decimals (e.g. 12.5).")
        String percent;

        @Override
        String action() {
            return "percent";
        }

        @Override
        ObjectNode body() throws AdminClient.Refused {
            int thousandths;
            try {
                thousandths = Percent.parse(percent);
            } catch (IllegalArgumentException e) {
                throw new AdminClient.Refused("invalid value: " + e.getMessage());
            }
            return Json.MAPPER.createObjectNode().put("percent", Percent.toDecimal(thousandths));
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true, description = "Freeze a running migration where it is.")
    static final class Pause extends ChangeCall {
        @Override
        String action() {
            return "pause";
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true,
            description = "Continue a paused or halted migration, or put a manually set one back on its ramp.")
    static final class Resume extends ChangeCall {
        @Override
        String action() {
            return "resume";
        }
    }

    @Command(name = "rollback", mixinStandardHelpOptions = true, description = "Put every unit back on the old value.")
    static final class Rollback extends ChangeCall {
        @Override
        String action() {
            return "rollback";
        }
    }

    @Command(name = "complete", mixinStandardHelpOptions = true,
            description = "Put every unit on the new value for good (only at 100%%).")
    static final class Complete extends ChangeCall {
        @Override
        String action() {
            return "complete";
        }
    }

    @Command(name = "events", mixinStandardHelpOptions = true,
            description = "Show the audit log: who changed what, when and why, oldest first.")
    static final class Events extends Call {

        @Parameters(index = "0", arity = "0..1", paramLabel = "KEY", description = "Only this setting's events.")
        String key;

        @Option(names = "--since", paramLabel = "SEQ", defaultValue = "0",
                description = "Only events after this sequence number (default: ${DEFAULT-VALUE}).")
        long since;

        @Option(names = "--limit", paramLabel = "N", defaultValue = "100",
                description = "At most this many events, 1-1000 (default: ${DEFAULT-VALUE}).")
        int limit;

        @Option(names = "--follow", description = "Keep printing new events as they are appended (looks every"
                + " second) until interrupted (Ctrl-C). With --json, one event per line.")
        boolean follow;

        @Override
        public Integer call() {
            // Usage errors first (exit 2), before the token or the sidecar are looked at.
            if (limit < 1 || limit > 1000) {
                throw new ParameterException(spec.commandLine(), "--limit must be from 1 to 1000, got " + limit);
            }
            if (since < 0) {
                throw new ParameterException(spec.commandLine(), "--since must be 0 or more, got " + since);
            }
            return super.call();
        }

        private String query(long after) {
            return "/admin/v1/events?since=" + after + "&limit=" + limit
                    + (key == null ? "" : "&key=" + URLEncoder.encode(key, StandardCharsets.UTF_8));
        }

        /** Pages through the log from {@code since}, then looks for new events every second. */
        private int follow(AdminClient client) {
            long after = since;
            boolean header = true;
            while (!Thread.currentThread().isInterrupted()) {
                boolean more = false;
                try {
                    AdminClient.Answer answer = client.get(query(after));
                    JsonNode events = answer.body().path("events");
                    EventPage page = answer.as(EventPage.class);
                    if (!page.events().isEmpty()) {
                        TextTable table = table();
                        for (int i = 0; i < page.events().size(); i++) {
                            EventView e = page.events().get(i);
                            if (ctl.json) {
                                out().println(events.get(i).toString());
                            }
                            row(table, e);
                            after = Math.max(after, e.seq());
                        }
                        if (!ctl.json) {
                            table.print(out(), header);
                            header = false;
                        }
                        out().flush();
                    }
                    more = page.more();
                } catch (AdminClient.Refused e) {
                    spec.commandLine().getErr().println("crossfade ctl: " + e.getMessage() + " (retrying)");
                    spec.commandLine().getErr().flush();
                }
                if (!more && !pauseASecond()) {
                    break;
                }
            }
            return 0;
        }

        private static TextTable table() {
            return new TextTable("SEQ", "TIME", "ACTOR", "KEY", "ACTION", "CHANGE", "REASON");
        }

        private static void row(TextTable table, EventView e) {
            table.row(String.valueOf(e.seq()), shortTime(String.valueOf(e.time())), actor(e), e.key(), e.action(),
                    side(e.from()) + " → " + side(e.to()), e.reason());
        }

        @Override
        int run(AdminClient client) throws AdminClient.Refused {
            if (follow) {
                return follow(client);
            }
            AdminClient.Answer answer = client.get(query(since));
            if (printedJson(answer)) {
                return 0;
            }
            EventPage page = answer.as(EventPage.class);
            if (page.events().isEmpty()) {
                out().println("no events" + (key == null ? "" : " for " + key) + (since > 0 ? " after " + since : ""));
            } else {
                TextTable table = table();
                for (EventView e : page.events()) {
                    row(table, e);
                }
                table.print(out());
            }
            if (page.more()) {
                out().println("(more: crossfade ctl events" + (key == null ? "" : " " + key) + " --since "
                        + page.next() + ")");
            }
            out().flush();
            return 0;
        }

        /** The actor, and in a fleet the sidecar it acted through: {@code alice@checkout-7f9c}. */
        private static String actor(EventView e) {
            return e.actor() + (e.instance() == null ? "" : "@" + e.instance());
        }

        private static String side(JsonNode s) {
            return s != null && s.isObject() ? s.path("percent").asText() + "% " + s.path("state").asText() : "(none)";
        }

        /** {@code 2025-05-01T10:15:30Z}: the ISO time to the second, for a table. */
        private static String shortTime(String iso) {
            int dot = iso.indexOf('.');
            return dot > 0 && iso.endsWith("Z") ? iso.substring(0, dot) + "Z" : iso;
        }
    }

    @Command(name = "reload", mixinStandardHelpOptions = true,
            description = {"Load the settings directory now.",
                    "A reload that removes more than --max-removal of the settings is refused unless"
                            + " --accept-removals confirms it."})
    static final class Reload extends Call {

        @Option(names = "--accept-removals",
                description = "Let this reload remove more settings than the sidecar's --max-removal allows.")
        boolean acceptRemovals;

        @Option(names = "--reason", paramLabel = "TEXT", description = "Why; kept in the sidecar's log.")
        String reason;

        @Override
        int run(AdminClient client) throws AdminClient.Refused {
            ObjectNode body = Json.MAPPER.createObjectNode().put("acceptRemovals", acceptRemovals);
            if (reason != null) {
                body.put("reason", reason);
            }
            AdminClient.Answer answer = client.post("/admin/v1/reload", body, null);
            if (printedJson(answer)) {
                return 0;
            }
            out().println(answer.body().path("changed").asBoolean()
                    ? "reloaded: now serving version " + answer.body().path("version").asText()
                    : "nothing to reload: the files equal what is served (version "
                            + answer.body().path("version").asText() + ")");
            out().flush();
            return 0;
        }
    }

    /** A JSON value for a table cell: compact, cut at 30 characters. */
    static String value(JsonNode v) {
        if (v == null || v.isMissingNode()) {
            return "-";
        }
        return InputText.abbreviate(v.toString(), 30);
    }
}
