package io.crossfade.sidecar.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminTokensTest {

    private static final String ALICE = "alice-token-0123456789";
    private static final String BOT = "bot-token-abcdefghijkl";

    @TempDir
    Path dir;

    @Test
    void aTokenIsGeneratedOnceWithMode0600AndKeptAfterwards() throws IOException {
        AdminTokens first = AdminTokens.load(null, dir);
        Path file = dir.resolve("admin.token");
        assertThat(first.file()).isEqualTo(file);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        String token = Files.readString(file).strip();
        assertThat(token).hasSizeGreaterThanOrEqualTo(43);
        assertThat(first.describe()).contains("generated").doesNotContain(token);

        AdminTokens again = AdminTokens.load(null, dir);
        assertThat(Files.readString(file).strip()).isEqualTo(token);
        assertThat(again.actorFor("Bearer " + token)).contains("admin");
    }

    @Test
    void aBareTokenBelongsToAdminAndNamedTokensToTheirNames() throws IOException {
        Path file = dir.resolve("tokens");
        Files.writeString(file, "# operators\n\nalice:" + ALICE + "\n  deploy-bot : " + BOT + "  \n");
        AdminTokens tokens = AdminTokens.load(file, dir);
        assertThat(tokens.actorFor("Bearer " + ALICE)).contains("alice");
        assertThat(tokens.actorFor("bearer  " + BOT + " ")).contains("deploy-bot");
        assertThat(tokens.names()).containsExactly("alice", "deploy-bot");
        assertThat(tokens.describe()).contains("alice, deploy-bot").doesNotContain(ALICE).doesNotContain(BOT);
        assertThat(Files.exists(dir.resolve("admin.token"))).isFalse();

        Files.writeString(file, ALICE + "\n");
        assertThat(AdminTokens.load(file, dir).actorFor("Bearer " + ALICE)).contains("admin");
    }

    @Test
    void missingWrongAndOtherSchemeHeadersOpenNothing() throws IOException {
        Path file = dir.resolve("tokens");
        Files.writeString(file, "alice:" + ALICE + "\n");
        AdminTokens tokens = AdminTokens.load(file, dir);
        assertThat(tokens.actorFor(null)).isEmpty();
        assertThat(tokens.actorFor("")).isEmpty();
        assertThat(tokens.actorFor("Bearer")).isEmpty();
        assertThat(tokens.actorFor("Bearer " + ALICE + "x")).isEmpty();
        assertThat(tokens.actorFor("Bearer " + ALICE.substring(1))).isEmpty();
        assertThat(tokens.actorFor("Basic " + ALICE)).isEmpty();
        assertThat(tokens.actorFor(ALICE)).isEmpty();
        assertThat(tokens.actorFor("Bearer alice:" + ALICE)).isEmpty();
    }

    @Test
    void malformedTokenFilesAreRefusedWithTheLineAndTheReason() throws IOException {
        Path file = dir.resolve("tokens");
        assertThatThrownBy(() -> AdminTokens.load(file, dir)).isInstanceOf(NoSuchFileException.class);

        Files.writeString(file, "# nothing\n\n");
        assertThatThrownBy(() -> AdminTokens.load(file, dir)).hasMessageContaining("holds no token");

        Files.writeString(file, "short\n");
        assertThatThrownBy(() -> AdminTokens.load(file, dir)).hasMessageContaining("line 1")
                .hasMessageContaining("at least 16");

        Files.writeString(file, "alice:" + ALICE + "\nbad name:" + BOT + "\n");
        assertThatThrownBy(() -> AdminTokens.load(file, dir)).hasMessageContaining("line 2")
                .hasMessageContaining("token name 'bad name'");

        Files.writeString(file, "alice:" + ALICE + "\nalice:" + BOT + "\n");
        assertThatThrownBy(() -> AdminTokens.load(file, dir)).hasMessageContaining("a second token for 'alice'");

        Files.writeString(file, "alice:" + ALICE + "\nbob:" + ALICE + "\n");
        assertThatThrownBy(() -> AdminTokens.load(file, dir)).hasMessageContaining("already given")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(ALICE));

        Files.writeString(file, ALICE + "\n" + BOT + "\n");
        assertThatThrownBy(() -> AdminTokens.load(file, dir)).hasMessageContaining("only one line may be a token without a name");
    }
}
