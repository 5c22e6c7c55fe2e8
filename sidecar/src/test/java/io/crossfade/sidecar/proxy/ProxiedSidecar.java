package io.crossfade.sidecar.proxy;

import io.crossfade.sidecar.testing.RunningSidecar;
import io.crossfade.sidecar.testing.SidecarProcess;
import java.net.URI;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link TestUpstream} and a real sidecar proxying to it, shared by the tests of a class: started
 * before the first test (the upstream first, since the sidecar's {@code --upstream} names it) and
 * stopped after the last (the sidecar first). The sidecar serves {@code a.b = 1} from {@code a.yaml}
 * and runs with {@code --proxy-listen 127.0.0.1:0 --upstream <the upstream>} and the arguments given.
 * Register it on a static field. Immutable: {@link #underDescriptorLimit} returns a changed copy.
 */
final class ProxiedSidecar implements BeforeAllCallback, AfterAllCallback {

    private final List<String> args;
    private final OptionalInt descriptorLimit;
    private TestUpstream upstream;
    private RunningSidecar sidecar;
    private URI proxy;

    private ProxiedSidecar(List<String> args, OptionalInt descriptorLimit) {
        this.args = List.copyOf(args);
        this.descriptorLimit = descriptorLimit;
    }

    /** A sidecar started with {@code args} after the proxy's own. */
    static ProxiedSidecar withArgs(String... args) {
        return new ProxiedSidecar(List.of(args), OptionalInt.empty());
    }

    /** The same, the sidecar run under {@link SidecarProcess#startWithDescriptorLimit}. */
    ProxiedSidecar underDescriptorLimit(int limit) {
        return new ProxiedSidecar(args, OptionalInt.of(limit));
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        upstream = new TestUpstream();
        sidecar = RunningSidecar.withFile("a.yaml", "settings:\n  a.b:\n    value: 1\n")
                .args("--proxy-listen", "127.0.0.1:0", "--upstream", upstream.uri().toString())
                .args(args.toArray(String[]::new));
        descriptorLimit.ifPresent(sidecar::underDescriptorLimit);
        sidecar.beforeAll(context);
        proxy = ProxyAddress.of(sidecar.process());
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        try {
            if (sidecar != null) {
                sidecar.afterAll(context);
            }
        } finally {
            if (upstream != null) {
                upstream.close();
            }
        }
    }

    /** The running sidecar. */
    SidecarProcess sidecar() {
        return sidecar.process();
    }

    /** The service it proxies to. */
    TestUpstream upstream() {
        return upstream;
    }

    /** Base URI of its proxy listener. */
    URI proxy() {
        return proxy;
    }
}
