package io.crossfade.sidecar.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenFileWatchTest {

    private static final String A = "a-0123456789abcdef";
    private static final String B = "b-0123456789abcdef";

    @TempDir
    Path dir;

    private TokenFileWatch watching(String content) throws Exception {
        Path file = dir.resolve("tokens");
        Files.writeString(file, content);
        return new TokenFileWatch(AdminTokens.load(file, dir), Clock.systemUTC());
    }

    @Test
    void aChangeIsTakenOnceItHasStayedTheSameForOnePoll() throws Exception {
        TokenFileWatch watch = watching("alice:" + A + "\n");
        Files.writeString(dir.resolve("tokens"), "bob:" + B + "\n");
        watch.poll();
        assertThat(watch.get().actorFor("Bearer " + A)).contains("alice");
        watch.poll();
        assertThat(watch.get().actorFor("Bearer " + B)).contains("bob");
        assertThat(watch.get().actorFor("Bearer " + A)).isEmpty();
        assertThat(watch.problem()).isNull();
    }

    @Test
    void aBrokenOrMissingFileKeepsTheTokensInForceAndSaysWhy() throws Exception {
        TokenFileWatch watch = watching("alice:" + A + "\n");
        Files.writeString(dir.resolve("tokens"), "");
        watch.poll();
        watch.poll();
        assertThat(watch.get().actorFor("Bearer " + A)).contains("alice");
        assertThat(watch.problem().error()).contains("holds no token");
        assertThat(watch.problem().inForce()).startsWith("alice");

        Files.delete(dir.resolve("tokens"));
        watch.poll();
        watch.poll();
        assertThat(watch.problem().error()).contains("does not exist");
        assertThat(watch.get().actorFor("Bearer " + A)).contains("alice");

        Files.writeString(dir.resolve("tokens"), "alice:" + A + "\n");
        watch.poll();
        watch.poll();
        assertThat(watch.problem()).isNull();
        assertThat(watch.problem() == null ? "" : watch.problem().toString()).doesNotContain(A);
    }
}
