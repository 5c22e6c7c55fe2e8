package io.crossfade.sidecar.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.Locale;
import java.util.Map;

/**
 * Configures Logback in code, found by Logback through {@code META-INF/services}: one console
 * appender on standard output, plain lines on a terminal or JSON lines (one event per line, for log
 * collectors; the container image sets {@code CROSSFADE_LOG_FORMAT=json}), the root level from
 * {@code CROSSFADE_LOG_LEVEL} (default {@code INFO}), Netty and Vert.x at {@code WARN}.
 *
 * <p>Why code and not {@code logback.xml}: reading XML loads Logback's Joran configuration
 * framework, about 450 classes that every sidecar of a fleet would then keep in memory and load at
 * each start (issue 17). A user's own file still wins: with {@code -Dlogback.configurationFile=…}
 * this configurator steps aside and Logback reads that file as usual.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_NORMAL_PRIORITY)
public final class LogSetup extends ContextAwareBase implements Configurator {

    /** Environment variable choosing the format: {@code json}, or anything else for plain lines. */
    public static final String FORMAT_VARIABLE = "CROSSFADE_LOG_FORMAT";
    /** Environment variable for the root level (a Logback level name; unknown names mean INFO). */
    public static final String LEVEL_VARIABLE = "CROSSFADE_LOG_LEVEL";
    static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{0} - %msg%n";

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (System.getProperty("logback.configurationFile") != null) {
            return ExecutionStatus.INVOKE_NEXT_IF_ANY;
        }
        configure(context, System.getenv());
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }

    /** Configures {@code context} as {@code environment} asks. */
    static void configure(LoggerContext context, Map<String, String> environment) {
        boolean json = "json".equals(environment.getOrDefault(FORMAT_VARIABLE, "").strip().toLowerCase(Locale.ROOT));
        ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
        console.setContext(context);
        console.setName("STDOUT");
        console.setEncoder(json ? jsonEncoder(context) : plainEncoder(context));
        console.start();

        ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        root.setLevel(Level.toLevel(environment.getOrDefault(LEVEL_VARIABLE, "INFO").strip(), Level.INFO));
        root.addAppender(console);
        context.getLogger("io.netty").setLevel(Level.WARN);
        context.getLogger("io.vertx").setLevel(Level.WARN);
    }

    private static Encoder<ILoggingEvent> plainEncoder(LoggerContext context) {
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        return encoder;
    }

    private static Encoder<ILoggingEvent> jsonEncoder(LoggerContext context) {
        JsonEncoder encoder = new JsonEncoder();
        encoder.setContext(context);
        encoder.setWithFormattedMessage(true);
        encoder.setWithMessage(false);
        encoder.setWithArguments(false);
        encoder.setWithSequenceNumber(false);
        encoder.setWithNanoseconds(false);
        encoder.setWithContext(false);
        encoder.start();
        return encoder;
    }
}
