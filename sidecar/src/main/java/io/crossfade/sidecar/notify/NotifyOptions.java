package io.crossfade.sidecar.notify;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Where and how migration changes are announced: {@code --notify-url} (repeatable),
 * {@code --notify-format} and {@code --notify-secret-file}. Immutable.
 *
 * @param urls the webhooks, each http or https; empty: no notifications
 * @param format the body's shape
 * @param secret the HMAC-SHA256 key of {@code X-Crossfade-Signature}, or null to leave requests unsigned
 */
public record NotifyOptions(List<URI> urls, Format format, byte[] secret) {

    /** No notifications. */
    public static final NotifyOptions NONE = new NotifyOptions(List.of(), Format.JSON, null);

    /** The body's shape. */
    public enum Format {
        /** The audit event as JSON, with a {@code text} for people. */
        JSON,
        /** {@code {"text": …}}, as Slack's (and Mattermost's, Teams' workflow) incoming webhooks take it. */
        SLACK
    }

    public NotifyOptions {
        urls = List.copyOf(urls);
        Objects.requireNonNull(format, "format");
        secret = secret == null ? null : secret.clone();
    }

    /** True when at least one URL is configured. */
    public boolean enabled() {
        return !urls.isEmpty();
    }

    /**
     * The options from the flags' text.
     *
     * @param urls {@code --notify-url} values; each may hold several URLs separated by commas (so that
     *     {@code CROSSFADE_NOTIFY_URL} can name more than one)
     * @throws IllegalArgumentException with a sentence naming the flag and the value at fault
     */
    public static NotifyOptions fromFlags(List<String> urls, String format, Path secretFile) {
        List<URI> parsed = new ArrayList<>();
        for (String value : urls == null ? List.<String>of() : urls) {
            for (String one : value.split(",")) {
                if (!one.isBlank()) {
                    parsed.add(url(one.strip()));
                }
            }
        }
        Format f = switch (format == null ? "json" : format.strip().toLowerCase(Locale.ROOT)) {
            case "", "json" -> Format.JSON;
            case "slack" -> Format.SLACK;
            default -> throw new IllegalArgumentException("--notify-format must be json or slack, not '" + format + "'");
        };
        byte[] secret = null;
        if (secretFile != null) {
            try {
                secret = Files.readString(secretFile, StandardCharsets.UTF_8).strip().getBytes(StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalArgumentException("--notify-secret-file " + secretFile + " cannot be read: " + e.getMessage());
            }
            if (secret.length == 0) {
                throw new IllegalArgumentException("--notify-secret-file " + secretFile + " is empty; it must hold the"
                        + " webhook's shared secret");
            }
        }
        return new NotifyOptions(parsed, f, secret);
    }

    private static URI url(String text) {
        URI uri;
        try {
            uri = URI.create(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--notify-url '" + text + "' is not a URL: " + e.getMessage());
        }
        if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
            throw new IllegalArgumentException("--notify-url takes an http or https URL such as"
                    + " https://hooks.slack.com/services/..., found '" + text + "'");
        }
        return uri;
    }
}
