package io.crossfade.sidecar.admin;

import io.crossfade.sidecar.state.DurableFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The bearer tokens that open the admin API, each with the name the audit log records as the actor.
 *
 * <p>Token file format, one token per line (blank lines and lines starting with {@code #} are
 * ignored, surrounding spaces trimmed):
 * <ul>
 *   <li>{@code NAME:TOKEN} — a named token; changes made with it are recorded with actor {@code NAME}
 *       ({@code [A-Za-z0-9][A-Za-z0-9._@-]{0,63}}, e.g. {@code alice} or {@code deploy-bot});</li>
 *   <li>{@code TOKEN} alone — the token of actor {@code admin} (at most one such line).</li>
 * </ul>
 * A token is at least {@value #MIN_TOKEN_LENGTH} printable ASCII characters without spaces or
 * {@code :}. The generated token is 32 random bytes in URL-safe Base64, written once into
 * {@code <state>/admin.token} with mode 0600. Tokens are never logged.
 *
 * <p>Immutable and thread-safe; {@link #actorFor} costs one SHA-256 and is safe on an event loop.
 */
public final class AdminTokens {

    /** Name of the generated token file in the state directory. */
    public static final String GENERATED_FILE = "admin.token";

    /** Actor of a token given without a name. */
    public static final String DEFAULT_ACTOR = "admin";

    /** Shortest token accepted: guessing must stay hopeless. */
    public static final int MIN_TOKEN_LENGTH = 16;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");
    private static final Pattern TOKEN = Pattern.compile("[\\x21-\\x39\\x3b-\\x7e]+");

    /** One token: its owner's name and the SHA-256 of its bytes (compared, never the token itself). */
    private record Entry(String name, byte[] digest) {
    }

    /** A parsed token with its name, as a client ({@code crossfade ctl}) needs it. */
    public record Token(String name, String secret) {
        @Override
        public String toString() {
            return "Token[" + name + "]"; // never the secret
        }
    }

    private final Path file;
    private final boolean generated;
    private final List<Entry> entries;

    private AdminTokens(Path file, boolean generated, List<Entry> entries) {
        this.file = file;
        this.generated = generated;
        this.entries = List.copyOf(entries);
    }

    /**
     * The sidecar's tokens: from {@code tokenFile} when given, else from {@code <stateDir>/admin.token},
     * generating that file (mode 0600, durably) the first time. Blocking; call at start-up.
     *
     * @throws IOException when the file cannot be read or written, or is not in the format above
     */
    public static AdminTokens load(Path tokenFile, Path stateDir) throws IOException {
        if (tokenFile != null) {
            return new AdminTokens(tokenFile, false, entries(read(tokenFile)));
        }
        Path file = stateDir.resolve(GENERATED_FILE);
        if (!Files.exists(file)) {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            String token = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
            DurableFiles.writeAtomically(file, (token + "\n").getBytes(StandardCharsets.UTF_8), true);
            return new AdminTokens(file, true, entries(read(file)));
        }
        return new AdminTokens(file, false, entries(read(file)));
    }

    /**
     * Parses a token file, as {@code crossfade ctl} reads it.
     *
     * @throws IOException when it cannot be read or is not in the format above; a missing file is a
     *     {@link NoSuchFileException}
     */
    public static List<Token> read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<Token> tokens = new ArrayList<>();
        Set<String> names = new HashSet<>();
        Set<String> secrets = new HashSet<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = file + " line " + (i + 1);
            int colon = line.indexOf(':');
            String name = colon < 0 ? DEFAULT_ACTOR : line.substring(0, colon).strip();
            String secret = colon < 0 ? line : line.substring(colon + 1).strip();
            if (!NAME.matcher(name).matches()) {
                throw new IOException(where + ": token name '" + name + "' is not valid; names are 1-64 letters,"
                        + " digits, '.', '_', '@' or '-'");
            }
            if (secret.length() < MIN_TOKEN_LENGTH || !TOKEN.matcher(secret).matches()) {
                throw new IOException(where + ": the token of '" + name + "' must be at least " + MIN_TOKEN_LENGTH
                        + " printable characters without spaces or ':' (expected TOKEN or NAME:TOKEN)");
            }
            if (!names.add(name)) {
                throw new IOException(where + ": a second token for '" + name + "'"
                        + (colon < 0 ? " (only one line may be a token without a name)" : ""));
            }
            if (!secrets.add(secret)) {
                throw new IOException(where + ": the token of '" + name + "' is already given to another name");
            }
            tokens.add(new Token(name, secret));
        }
        if (tokens.isEmpty()) {
            throw new IOException(file + " holds no token (expected TOKEN or NAME:TOKEN lines)");
        }
        return tokens;
    }

    private static List<Entry> entries(List<Token> tokens) {
        List<Entry> out = new ArrayList<>();
        for (Token t : tokens) {
            out.add(new Entry(t.name(), sha256(t.secret())));
        }
        return out;
    }

    /**
     * The actor behind an {@code Authorization} header value, if it carries one of the tokens as
     * {@code Bearer <token>}. Compares in constant time against every token (no early exit), so the
     * answer's timing tells nothing about how close a guess was.
     */
    public Optional<String> actorFor(String authorization) {
        String presented = bearerToken(authorization);
        if (presented == null) {
            return Optional.empty();
        }
        byte[] digest = sha256(presented);
        String actor = null;
        for (Entry e : entries) {
            if (MessageDigest.isEqual(digest, e.digest()) && actor == null) {
                actor = e.name();
            }
        }
        return Optional.ofNullable(actor);
    }

    /** The token of a {@code Bearer} header value, or null when the value is missing or another scheme. */
    static String bearerToken(String authorization) {
        if (authorization == null) {
            return null;
        }
        String value = authorization.strip();
        int space = value.indexOf(' ');
        if (space < 0 || !value.substring(0, space).toLowerCase(Locale.ROOT).equals("bearer")) {
            return null;
        }
        String token = value.substring(space + 1).strip();
        return token.isEmpty() ? null : token;
    }

    /** The file the tokens come from. */
    public Path file() {
        return file;
    }

    /** The token names, for the start-up log line. */
    public List<String> names() {
        return entries.stream().map(Entry::name).toList();
    }

    /** Where the tokens are, for the log — the file and the names, never a token. */
    public String describe() {
        if (generated) {
            return "admin API token generated into " + file + " (mode 0600)";
        }
        return "admin API token" + (entries.size() > 1 ? "s" : "") + " for " + String.join(", ", names())
                + " from " + file;
    }

    /** True when group or others may read the token file (worth a warning). */
    public boolean readableByOthers() {
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            return perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ);
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }

    private static byte[] sha256(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
