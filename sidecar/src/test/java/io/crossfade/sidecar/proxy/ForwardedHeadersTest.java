package io.crossfade.sidecar.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.MultiMap;
import org.junit.jupiter.api.Test;

class ForwardedHeadersTest {

    @Test
    void hopByHopFieldsAndTheFieldsConnectionNamesAreDropped() {
        MultiMap in = MultiMap.caseInsensitiveMultiMap()
                .add("Connection", "keep-alive, X-Secret").add("Keep-Alive", "timeout=5").add("X-Secret", "s")
                .add("TE", "trailers").add("Transfer-Encoding", "chunked").add("Upgrade", "h2c")
                .add("Proxy-Authorization", "Basic x").add("Trailer", "X-T").add("Proxy-Connection", "keep-alive")
                .add("Accept", "a").add("Accept", "b").add("Host", "shop.example.com")
                .add("X-Crossfade-Settings", "{}").add("x-crossfade-variants", "k=new");
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        ForwardedHeaders.copy(in, out, true);
        assertThat(out.names()).containsExactly("Accept");
        assertThat(out.getAll("accept")).containsExactly("a", "b");

        MultiMap response = MultiMap.caseInsensitiveMultiMap();
        ForwardedHeaders.copy(MultiMap.caseInsensitiveMultiMap().add("X-Crossfade-Settings", "kept on responses")
                .add("Content-Length", "3"), response, false);
        assertThat(response.names()).containsExactlyInAnyOrder("X-Crossfade-Settings", "Content-Length");
    }

    @Test
    void forwardingHeadersAppendToAnEarlierProxysAndKeepItsProtoAndHost() {
        MultiMap out = MultiMap.caseInsensitiveMultiMap();
        ForwardedHeaders.addForwarding(out, MultiMap.caseInsensitiveMultiMap(), "10.1.2.3", "shop");
        assertThat(out.get("x-forwarded-for")).isEqualTo("10.1.2.3");
        assertThat(out.get("x-forwarded-proto")).isEqualTo("http");
        assertThat(out.get("x-forwarded-host")).isEqualTo("shop");
        assertThat(out.get("via")).isEqualTo("1.1 crossfade");

        MultiMap chained = MultiMap.caseInsensitiveMultiMap();
        MultiMap in = MultiMap.caseInsensitiveMultiMap().add("X-Forwarded-For", "198.51.100.1")
                .add("X-Forwarded-Proto", "https").add("X-Forwarded-Host", "public.example").add("Via", "1.1 lb");
        ForwardedHeaders.copy(in, chained, true);
        ForwardedHeaders.addForwarding(chained, in, "10.1.2.3", "internal");
        assertThat(chained.get("x-forwarded-for")).isEqualTo("198.51.100.1, 10.1.2.3");
        assertThat(chained.get("x-forwarded-proto")).isEqualTo("https");
        assertThat(chained.get("x-forwarded-host")).isEqualTo("public.example");
        assertThat(chained.get("via")).isEqualTo("1.1 lb, 1.1 crossfade");
    }

    @Test
    void closeIsFoundAmongOtherConnectionTokens() {
        assertThat(ForwardedHeaders.asksToClose(MultiMap.caseInsensitiveMultiMap().add("Connection", "x-a, Close")))
                .isTrue();
        assertThat(ForwardedHeaders.asksToClose(MultiMap.caseInsensitiveMultiMap().add("Connection", "keep-alive")))
                .isFalse();
    }

    @Test
    void aWebSocketUpgradeNeedsBothHeaders() {
        assertThat(ForwardedHeaders.isWebSocketUpgrade(MultiMap.caseInsensitiveMultiMap()
                .add("Connection", "keep-alive, Upgrade").add("Upgrade", "websocket"))).isTrue();
        assertThat(ForwardedHeaders.isWebSocketUpgrade(MultiMap.caseInsensitiveMultiMap()
                .add("Upgrade", "websocket"))).isFalse();
        assertThat(ForwardedHeaders.isWebSocketUpgrade(MultiMap.caseInsensitiveMultiMap()
                .add("Connection", "upgrade").add("Upgrade", "h2c"))).isFalse();
    }
}
