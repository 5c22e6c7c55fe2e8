package io.crossfade.sidecar.proxy;

import io.crossfade.sidecar.testing.SidecarProcess;
import java.net.URI;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads the proxy's bound address from the sidecar's {@code listening proxy=HOST:PORT} log line. */
public final class ProxyAddress {

    private static final Pattern PROXY = Pattern.compile("listening proxy=([^\\s\"]+)");

    private ProxyAddress() {
    }

    public static URI of(SidecarProcess sidecar) {
        for (String line : sidecar.output()) {
            Matcher m = PROXY.matcher(line);
            if (m.find()) {
                return URI.create("http://" + m.group(1));
            }
        }
        throw new IllegalStateException("no proxy address in the sidecar's output:\n" + String.join("\n", sidecar.output()));
    }
}
