package io.crossfade.sidecar.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class ProxyOptionsTest {

    @Test
    void withoutProxyListenThereIsNoProxy() {
        assertThat(ProxyOptions.fromFlags(null, null, "X-User-Id", null, null, "5xx", "30s")).isNull();
    }

    @Test
    void upstreamWithoutProxyListenIsRefused() {
        assertThatThrownBy(() -> ProxyOptions.fromFlags(null, "http://127.0.0.1:8000", null, null, null, null, null))
                .hasMessageContaining("--proxy-listen");
    }

    @Test
    void defaultsAreTheDesignsOnes() {
        ProxyOptions o = ProxyOptions.fromFlags("127.0.0.1:8080", "http://127.0.0.1:8000", null, null, null, null, null);
        assertThat(o.unitHeader()).isEqualTo("X-User-Id");
        assertThat(o.unitCookie()).isNull();
        assertThat(o.inject().isEmpty()).isTrue();
        assertThat(o.errorStatuses().isError(503)).isTrue();
        assertThat(o.errorStatuses().isError(429)).isFalse();
        assertThat(o.upstreamTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(o.upstreamPort()).isEqualTo(8000);
        assertThat(o.upstreamPathPrefix()).isEmpty();
    }

    @Test
    void anUpstreamPathBecomesAPrefixAndAMissingPortIs80() {
        ProxyOptions o = ProxyOptions.fromFlags(":8080", "http://app/api/", null, null, null, null, "500ms");
        assertThat(o.upstreamPathPrefix()).isEqualTo("/api");
        assertThat(o.upstreamPort()).isEqualTo(80);
        assertThat(o.upstreamTimeout()).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void badFlagsAreNamedInTheMessage() {
        assertThatThrownBy(() -> ProxyOptions.fromFlags("127.0.0.1:8080", null, null, null, null, null, null))
                .hasMessageContaining("--upstream");
        assertThatThrownBy(() -> ProxyOptions.fromFlags("127.0.0.1:8080", "https://x", null, null, null, null, null))
                .hasMessageContaining("http://");
        assertThatThrownBy(() -> ProxyOptions.fromFlags("127.0.0.1:8080", "http://x?q=1", null, null, null, null, null))
                .hasMessageContaining("query");
        assertThatThrownBy(() -> ProxyOptions.fromFlags("127.0.0.1", "http://x", null, null, null, null, null))
                .hasMessageContaining("--proxy-listen");
        assertThatThrownBy(() -> ProxyOptions.fromFlags(":8080", "http://x", "X User", null, null, null, null))
                .hasMessageContaining("--unit-header");
        assertThatThrownBy(() -> ProxyOptions.fromFlags(":8080", "http://x", null, "a;b", null, null, null))
                .hasMessageContaining("--unit-cookie");
        assertThatThrownBy(() -> ProxyOptions.fromFlags(":8080", "http://x", null, null, "Checkout.*", null, null))
                .hasMessageContaining("--inject");
        assertThatThrownBy(() -> ProxyOptions.fromFlags(":8080", "http://x", null, null, null, null, "soon"))
                .hasMessageContaining("--upstream-timeout");
        assertThatThrownBy(() -> ProxyOptions.fromFlags(":8080", "http://x", null, null, null, null, "0s"))
                .hasMessageContaining("--upstream-timeout");
    }

    @Test
    void errorStatusesTakeClassesAndCodes() {
        ErrorStatuses s = ErrorStatuses.parse("5xx, 429");
        assertThat(s.isError(500)).isTrue();
        assertThat(s.isError(599)).isTrue();
        assertThat(s.isError(429)).isTrue();
        assertThat(s.isError(404)).isFalse();
        assertThat(s.isError(200)).isFalse();
        assertThatThrownBy(() -> ErrorStatuses.parse("6xx")).hasMessageContaining("'6xx'");
        assertThatThrownBy(() -> ErrorStatuses.parse("")).hasMessageContaining("empty");
    }

    @Test
    void injectPatternsMatchWithStars() {
        InjectPatterns p = InjectPatterns.parse("checkout.*, *.timeout_ms,db.pool.size");
        assertThat(p.matches("checkout.banner")).isTrue();
        assertThat(p.matches("payments.timeout_ms")).isTrue();
        assertThat(p.matches("db.pool.size")).isTrue();
        assertThat(p.matches("db.pool.sizes")).isFalse();
        assertThat(p.matches("checkoutx")).isFalse();
        assertThat(InjectPatterns.parse("*").matches("anything.at-all")).isTrue();
        assertThat(InjectPatterns.parse(" ").isEmpty()).isTrue();
    }
}
