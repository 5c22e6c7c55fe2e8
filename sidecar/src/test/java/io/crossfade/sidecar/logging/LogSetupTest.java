package io.crossfade.sidecar.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

class LogSetupTest {

    private static ConsoleAppender<ILoggingEvent> console(LoggerContext context) {
        return (ConsoleAppender<ILoggingEvent>) context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDOUT");
    }

    @Test
    void plainLinesAtInfoByDefaultWithNettyAndVertxQuieter() {
        LoggerContext context = new LoggerContext();
        LogSetup.configure(context, Map.of());
        assertThat(console(context).getEncoder()).isInstanceOfSatisfying(PatternLayoutEncoder.class,
                e -> assertThat(e.getPattern()).isEqualTo(LogSetup.PATTERN));
        assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel()).isEqualTo(Level.INFO);
        assertThat(context.getLogger("io.netty").getLevel()).isEqualTo(Level.WARN);
        assertThat(context.getLogger("io.vertx").getLevel()).isEqualTo(Level.WARN);
        assertThat(console(context).isStarted()).isTrue();
    }

    @Test
    void jsonLinesAndTheLevelFromTheEnvironment() {
        LoggerContext context = new LoggerContext();
        LogSetup.configure(context, Map.of("CROSSFADE_LOG_FORMAT", " JSON ", "CROSSFADE_LOG_LEVEL", "debug"));
        assertThat(console(context).getEncoder()).isInstanceOf(JsonEncoder.class);
        assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel()).isEqualTo(Level.DEBUG);
    }

    @Test
    void anUnknownLevelNameMeansInfo() {
        LoggerContext context = new LoggerContext();
        LogSetup.configure(context, Map.of("CROSSFADE_LOG_LEVEL", "loud"));
        assertThat(context.getLogger(Logger.ROOT_LOGGER_NAME).getLevel()).isEqualTo(Level.INFO);
    }
}
